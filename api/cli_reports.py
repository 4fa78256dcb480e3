"""`ledger report`: a program's outcome or service counts from the command line, as CSV, from
the read models as far as they have followed the log (the last line says how far).

    ledger report outcomes PROGRAM --from DATE --to DATE [--target-group G] [--known-at T]
    ledger report services PROGRAM [--from DATE] [--to DATE] [--by kind,settlement,month]

Counts only, no participant: for a person's evidence, ask GET /v1/reports/outcomes with a
token that may see it.
"""

from __future__ import annotations

import argparse
import csv
import sys
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from api import bootstrap
from api.cli_ops import DASHED_UUID
from api.settings import Settings
from domain.base import NotFoundError
from domain.program import Program, program_id_for
from projections.outcome_report import report as outcome_report


def add_parser(commands: Any) -> None:
    reports = commands.add_parser("report", help="a program's outcome or service counts (CSV)")
    kinds = reports.add_subparsers(dest="report", required=True)
    outcomes = kinds.add_parser("outcomes", help="indicator counts against targets")
    outcomes.add_argument("program", help="the program's code or id")
    outcomes.add_argument("--from", dest="start", type=date.fromisoformat, required=True)
    outcomes.add_argument("--to", dest="end", type=date.fromisoformat, required=True)
    outcomes.add_argument("--target-group")
    outcomes.add_argument(
        "--known-at", type=_moment, help="what the report said then (ISO time, UTC if no zone)"
    )
    services = kinds.add_parser("services", help="services per kind, settlement, month, staff")
    services.add_argument("program", help="the program's code or id")
    services.add_argument("--from", dest="start", type=date.fromisoformat)
    services.add_argument("--to", dest="end", type=date.fromisoformat)
    services.add_argument("--by", default="kind,settlement,month", help="dimensions, by commas")


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Exit 0, or 2 for a program the ledger does not know or dimensions it has not."""
    program = args.program
    program_id = UUID(program) if DASHED_UUID.fullmatch(program) else program_id_for(program)
    components = bootstrap.build(settings, follow_in_process=False)
    out = csv.writer(sys.stdout)
    try:
        components.ledger.load(Program, program_id)  # NotFoundError for one it does not know
        if args.report == "outcomes":
            model = components.models["outcomes"]
            with model.reading() as reading:
                found = outcome_report(
                    reading, program_id, args.start, args.end, args.target_group, args.known_at
                )
                reached = reading.position
            out.writerow(["indicator", "count", "target", "cohort_size"])
            for i in found.indicators:
                out.writerow([i.indicator, i.count, i.target, i.cohort_size])
        else:
            by = tuple(d for d in args.by.split(",") if d)
            model = components.models["services"]
            with model.reading() as reading:
                cells = model.report(reading, program_id, args.start, args.end, by)  # type: ignore[attr-defined]
                reached = reading.position
            out.writerow([*by, "services", "quantity", "people"])
            for c in cells:
                out.writerow([*(c.dimensions[d] for d in by), c.services, c.quantity, c.people])
    except (NotFoundError, LookupError, ValueError) as error:
        print(f"ledger report: {error}", file=sys.stderr)
        return 2
    finally:
        components.close()
    print(f"# as far as the read model reached: log position {reached}")
    return 0
