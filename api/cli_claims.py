"""`ledger claims`: claims read from the store, for an operator handing them to an assessor.

    ledger claims list [--program CODE|ID]
    ledger claims show CLAIM [--csv]
    ledger claims restatement CLAIM
    ledger claims package CLAIM FILE [--from-position N]

Submitting and judging a claim are the supervisor's and the assessor's, through the API with
their tokens: the command line only reads. A package ending in `.gz` is written gzipped
(ops/audit/verify_claim.py reads both).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import sys
from pathlib import Path
from typing import Any
from uuid import UUID

from api import bootstrap
from api.claim_package import ClaimUnsealedError, claim_package
from api.cli_ops import DASHED_UUID
from api.settings import Settings
from domain.base import NotFoundError
from domain.claim import Claim
from domain.program import program_id_for
from projections.read_your_writes import ReadModelTimeoutError

LINE_COLUMNS = ("line", "participant_id", "key", "version", "on", "amount", "evidence", "verdict")


def add_parser(commands: Any) -> None:
    claims = commands.add_parser("claims", help="read claims; write a claim's package")
    chosen = claims.add_subparsers(dest="claims_command", required=True)
    listing = chosen.add_parser("list", help="claims in the order submitted")
    listing.add_argument("--program", help="the program's code or id (default: every program)")
    show = chosen.add_parser("show", help="a claim and its lines with their verdicts")
    show.add_argument("claim", type=UUID)
    show.add_argument("--csv", action="store_true", help="the lines only, as CSV")
    restated = chosen.add_parser("restatement", help="the claim against what is known now")
    restated.add_argument("claim", type=UUID)
    package = chosen.add_parser(
        "package", help="the claim's package for ops/audit/verify_claim.py (JSON; .gz gzipped)"
    )
    package.add_argument("claim", type=UUID)
    package.add_argument("file", type=Path)
    package.add_argument(
        "--from-position", type=int, help="reach back to a checkpoint the assessor kept"
    )


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Exit 0; 2 for a claim or program the ledger does not know; 1 for a package no signed
    checkpoint covers yet, or a restatement the outcome read model is too far behind for."""
    components = bootstrap.build(settings, follow_in_process=False)
    try:
        if args.claims_command == "list":
            _list(components, args.program)
        elif args.claims_command == "show":
            _show(components.ledger.load(Claim, args.claim), args.csv)
        elif args.claims_command == "restatement":
            from api.claim_restatement import restatement  # noqa: PLC0415 (pydantic answers)

            found = restatement(components, components.ledger.load(Claim, args.claim))
            print(json.dumps(found.model_dump(mode="json"), indent=2, ensure_ascii=False))
        else:
            _package(components, args.claim, args.file, args.from_position)
    except NotFoundError as error:
        print(f"ledger claims: {error}", file=sys.stderr)
        return 2
    except (ClaimUnsealedError, ReadModelTimeoutError) as error:
        print(f"ledger claims: {error}", file=sys.stderr)
        return 1
    finally:
        components.close()
    return 0


def _list(components: bootstrap.Components, program: str | None) -> None:
    programs = None
    if program is not None:
        programs = [UUID(program) if DASHED_UUID.fullmatch(program) else program_id_for(program)]
    model = components.models["directory"]
    with model.reading() as reading:
        found = model.claims(reading, programs, 0, 1_000_000)  # type: ignore[attr-defined]
    print("claim_id\tprogram_id\tperiod\ttotal\tsubmitted_by\tdecision\tpaid")
    for c in found:
        print(
            f"{c.claim_id}\t{c.program_id}\t{c.period_start}..{c.period_end}\t{c.total}"
            f"\t{c.submitted_by}\t{c.decision or '-'}\t{'-' if c.paid is None else c.paid}"
        )
    print(f"{len(found)} claims, as far as the directory read model reached ({reading.position})")


def _show(claim: Claim, as_csv: bool) -> None:
    lines = [
        {
            "line": n,
            **line,
            "evidence": " ".join(line["evidence"]),
            "verdict": claim.verdicts.get(n, {}).get("verdict", ""),
        }
        for n, line in enumerate(claim.lines, start=1)
    ]
    if as_csv:
        writer = csv.DictWriter(sys.stdout, LINE_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(lines)
        return
    print(
        f"claim {claim.id} of program {claim.program_id}: {claim.period_start} to"
        f" {claim.period_end}, as known at {claim.known_at.isoformat()}, by {claim.submitted_by}"
    )
    print(f"definitions {claim.definitions}; checkpoint {claim.checkpoint}")
    for line in lines:
        print("  " + "  ".join(str(line[column]) for column in LINE_COLUMNS))
    decided = claim.decision
    outcome = "not decided"
    if decided:
        outcome = f"{decided['verdict']} by {decided['by']}, paid {decided['amount']:,}"
    print(f"total {claim.total:,}; {outcome}")


def _package(
    components: bootstrap.Components, claim_id: UUID, path: Path, from_position: int | None
) -> None:
    body = claim_package(components, claim_id, from_position)
    data = json.dumps(body).encode()
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    whole = len(body["events"])
    print(
        f"wrote the package of claim {claim_id} to {path}: positions {body['start']} to"
        f" {body['entries'][-1][0]}, {whole} events whole, {len(body['entries']) - whole} as"
        f" digests, {len(body['checkpoints'])} signed checkpoints; check it with"
        f" python ops/audit/verify_claim.py {path} --public-key KEY"
    )
