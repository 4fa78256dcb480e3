"""The operator's commands on the store: follow the log, rebuild read models, verify the audit
chain, export it, export a program in the INDIGO standard, erase listed people again. None of
them loads the HTTP stack."""

from __future__ import annotations

import json
import re
import signal
import sys
import threading
from datetime import date
from pathlib import Path
from types import FrameType
from uuid import UUID

from eventsourcing.postgres import PostgresApplicationRecorder

from api import bootstrap
from api.audit_export import export_audit
from api.indigo_export import indigo_export
from api.settings import Settings
from api.store_env import erasure_list_path
from domain.base import NotFoundError
from domain.program import Program, program_id_for
from projections.checkpoints import TrustedFileError, read_trusted
from projections.follower import Follower
from projections.rebuild import rebuild
from projections.registry import READ_MODELS
from projections.seal_verify import EXIT_CODES, summary, verify
from store.erasure_list import ErasureList, reapply
from store.keyring import KeyNotDestroyedError
from store.person_reindex import reindex
from store.pg_append import Wakeup


def project(settings: Settings, names: list[str], batch: int) -> None:
    components = bootstrap.build(settings, follow_in_process=False)
    models = [
        components.seal if name == "seal" else components.models[name]
        for name in dict.fromkeys(names)
    ]
    follower = Follower(components.ledger, *models, batch_size=batch)
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for status in follower.statuses():
        print(f"{status.name}: following from position {status.position}", flush=True)
    recorder = components.ledger.recorder
    # On PostgreSQL every write notifies: wake at once, and poll only as a fallback.
    wakeup = Wakeup(recorder) if isinstance(recorder, PostgresApplicationRecorder) else None
    poll = settings.projection_fallback_poll if wakeup else settings.projection_poll_interval
    failure = None
    try:
        follower.run(stopping, poll, wakeup, settings.projection_linger)
    except Exception as error:
        # The batch rolled back whole: every model stays where it was, to retry after a fix.
        failure = f" by {type(error).__name__} in the next batch"
        raise
    finally:
        if wakeup is not None:
            wakeup.close()
        for status in follower.statuses():
            print(
                f"{status.name}: stopped at position {status.position}"
                f" (log head {status.head}){failure or ''}",
                flush=True,
            )
    components.close()


def verify_chain(settings: Settings, files: list[Path]) -> int:
    try:
        trusted = [checkpoint for path in files for checkpoint in read_trusted(path)]
    except TrustedFileError as error:
        print(f"ledger verify: {error}", file=sys.stderr)
        return 2
    components = bootstrap.build(settings, follow_in_process=False)
    try:
        result = verify(
            components.ledger.recorder,
            components.seal,
            components.seal.signer.public_key(),
            trusted,
        )
    finally:
        components.close()
    print("\n".join(summary(result)))
    return EXIT_CODES[result.status]


def reapply_erasures(settings: Settings, path: Path | None) -> int:
    """Exit 0 once every listed person is erased and their key's bytes are gone; 1 if the key
    store could not be rewritten (nothing is claimed); 2 if the list cannot be read."""
    erasure_list = ErasureList(path or erasure_list_path(settings))
    try:
        listed = erasure_list.read()
    except (OSError, ValueError) as error:
        print(f"cannot read the erasure list: {error}", file=sys.stderr)
        return 2
    ledger = bootstrap.ledger_for(settings)
    try:
        report = reapply(ledger, listed)
    except KeyNotDestroyedError as error:
        print(f"INCOMPLETE: {error}; run this command again", file=sys.stderr)
        return 1
    finally:
        ledger.close()
    print(f"{report.listed} participants listed in {erasure_list.path}; their keys are destroyed")
    for participant_id in report.recorded:
        print(f"recorded again: {participant_id} (the restored log lacked the erasure)")
    for participant_id in report.unknown:
        print(f"unknown to this log: {participant_id} (registered after the backup?)")
    return 0


def reindex_people(settings: Settings) -> None:
    """Make the blind index of people anew from the log (with the API stopped)."""
    ledger = bootstrap.ledger_for(settings)
    try:
        report = reindex(ledger)
    finally:
        ledger.close()
    print(f"{report.people} people indexed")
    for participant_id in report.shared_snils:
        print(f"shares a SNILS with someone registered before: {participant_id}")


def export(settings: Settings, path: str) -> None:
    components = bootstrap.build(settings, follow_in_process=False)
    try:
        written = export_audit(components.ledger.recorder, components.seal, Path(path))
    finally:
        components.close()
    print(f"wrote {written} events and the signed checkpoints to {path}")


# A program named by its dashed id, else by its code (api/read_params.py's rule, without FastAPI).
DASHED_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


def export_indigo(settings: Settings, program: str, path: Path, as_of: date | None) -> int:
    """The program (by code or id) in the INDIGO data standard, as GET /v1/programs/{id}/indigo
    answers it now, from the outcome read model as far as it has followed the log. Exit 0, or 2
    for a program the ledger does not know."""
    program_id = UUID(program) if DASHED_UUID.fullmatch(program) else program_id_for(program)
    components = bootstrap.build(settings, follow_in_process=False)
    try:
        ledger = components.ledger
        found: Program = ledger.load(Program, program_id)
        with components.models["outcome_facts"].reading() as reading:
            body = indigo_export(ledger, reading, found, as_of or ledger.clock(), None)
    except NotFoundError as error:
        print(f"ledger export-indigo: {error}", file=sys.stderr)
        return 2
    finally:
        components.close()
    path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote program {body['program_code']} on {body['as_of']} to {path}")
    return 0


def rebuild_models(settings: Settings, names: list[str]) -> None:
    components = bootstrap.build(settings, follow_in_process=False)
    try:
        report = rebuild(
            components.ledger, components.store, *(READ_MODELS[name] for name in names)
        )
        for name, generation in zip(report.names, report.generations, strict=True):
            print(f"{name}: rebuilt generation {generation} to position {report.position}")
        print(
            f"{len(names)} read model(s) in {report.seconds:.2f} s"
            f" ({report.events_per_second:,.0f} events/s)",
            flush=True,
        )
    finally:
        components.close()
