"""The `ledger` command: serve, project, rebuild, and the operator's other tools."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn
from eventsourcing.postgres import PostgresApplicationRecorder

from api import wiring
from api.app import LedgerApp, create_app
from api.audit_export import export_audit
from api.auth import ROLES, mint
from api.bulk_import import WORKERS, import_file
from api.settings import MissingKeyError, Settings, fresh_key
from projections.checkpoints import TrustedFileError, read_trusted
from projections.rebuild import rebuild
from projections.registry import READ_MODELS
from projections.runner import Follower
from projections.seal_verify import EXIT_CODES, summary, verify
from store.erasure_list import ErasureList, reapply
from store.keyring import KeyNotDestroyedError
from store.pg_append import Wakeup

VERIFY_HELP = """Recompute the audit chain over every stored event and check its signed checkpoints.

exit codes:
  0  OK: every event is sealed (under a signed checkpoint) and the log matches its seal
  1  TAMPERED: names the first position where the log, its seal or a trusted checkpoint disagree
  2  the command line or a --trusted file cannot be used
  3  NOT SEALED: what is sealed holds, but events after the last signed checkpoint are not yet
     sealed (named from the first); a seal that lags or is stopped, or rows appended behind it
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ledger", description="Service-episode ledger")
    commands = parser.add_subparsers(dest="command", required=True)
    _add_serve(commands.add_parser("serve", help="serve the HTTP API"))
    project = commands.add_parser(
        "project", help="follow the log into read models until SIGTERM (one reader for all named)"
    )
    project.add_argument("names", nargs="+", choices=[*sorted(READ_MODELS), "seal"])
    project.add_argument("--batch", type=int, help="events per transaction (default 500)")
    rebuilding = commands.add_parser("rebuild", help="rebuild read models beside the live ones")
    rebuilding.add_argument("names", nargs="*", help=f"any of {', '.join(sorted(READ_MODELS))}")
    rebuilding.add_argument("--all", action="store_true", help="rebuild every read model")
    importing = commands.add_parser("import", help="import NDJSON commands (migration, bulk sync)")
    importing.add_argument("file")
    importing.add_argument(
        "--workers", type=int, default=WORKERS, help=f"threads running commands (default {WORKERS})"
    )
    importing.add_argument(
        "--source",
        help="where the lines come from, for their idempotency keys (default: the file's path)",
    )
    _verify_parser(commands)
    export = commands.add_parser(
        "export-audit", help="write events and signed checkpoints (NDJSON)"
    )
    export.add_argument("file", help="where to write the export")
    _add_erasures(commands.add_parser("erasures", help="the erasures listed outside the store"))
    token = commands.add_parser("token", help="mint a development token (embedded HS256 secret)")
    token.add_argument("--sub", required=True, help="the subject, e.g. a staff id")
    token.add_argument("--role", action="append", required=True, choices=ROLES)
    token.add_argument("--program", action="append", default=[], help="program code, or *")
    token.add_argument("--hours", type=float, default=12)
    commands.add_parser("keys", help="make keys for a deployment").add_subparsers(
        dest="keys_command", required=True
    ).add_parser("generate", help="print fresh keys as environment lines, for every host alike")
    return parser


def main(argv: list[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(argv)
    settings = _settings(args.command)

    if args.command == "keys":
        _generate_keys()
    elif args.command == "serve":
        _serve(settings, args.host or settings.host, args.port or settings.port, args.workers)
    elif args.command == "import":
        ledger = wiring.ledger_for(settings)
        try:
            report = import_file(ledger, Path(args.file), workers=args.workers, source=args.source)
        finally:
            ledger.close()
        print(
            f"imported {report.lines} commands, {report.events} events in {report.seconds:.1f} s"
            f" ({report.events_per_second:,.0f} events/s)"
        )
    elif args.command == "verify":
        sys.exit(_verify(settings, args.trusted))
    elif args.command == "export-audit":
        _export(settings, args.file)
    elif args.command == "erasures":
        sys.exit(_reapply_erasures(settings, Path(args.file) if args.file else None))
    elif args.command == "token":
        print(mint(settings, args.sub, args.role, args.program, args.hours))
    elif args.command == "project":
        _project(settings, args.names, args.batch or settings.projection_batch)
    elif args.command == "rebuild":
        names = sorted(READ_MODELS) if args.all else args.names
        unknown = set(names) - set(READ_MODELS)
        if not names or unknown:
            parser.error(f"name read models from {sorted(READ_MODELS)} or give --all")
        _rebuild(settings, names)


def _add_erasures(erasures: argparse.ArgumentParser) -> None:
    erasure_commands = erasures.add_subparsers(dest="erasures_command", required=True)
    reapplying = erasure_commands.add_parser(
        "reapply",
        help="erase every listed participant again, e.g. after restoring a backup (idempotent)",
    )
    reapplying.add_argument(
        "file", nargs="?", help="the list (default: LEDGER_ERASURE_LIST_FILE or var/erasures.list)"
    )


def _verify_parser(commands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        "verify",
        help="recompute the audit chain; exit 0 OK, 1 tampered, 3 not yet sealed",
        description=VERIFY_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--trusted",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="checkpoints you kept: the body of GET /v1/audit/checkpoints/latest, or the"
        " checkpoint log (LEDGER_CHECKPOINT_LOG, every line); prove today's chain extends each",
    )
    return parser


def _add_serve(serve: argparse.ArgumentParser) -> None:
    serve.add_argument("--host", help="address to bind (default: LEDGER_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: LEDGER_PORT or 8000)")
    serve.add_argument(
        "--workers", type=int, help="API processes on PostgreSQL (default: LEDGER_WORKERS or 1)"
    )


def _settings(command: str) -> Settings:
    """The settings, with every key this command needs (checked before anything starts: a key
    made up here would differ from the other hosts' keys)."""
    settings = Settings()
    if command != "keys":
        try:
            settings.require_keys(tokens=command in ("serve", "token"))
        except MissingKeyError as error:
            sys.exit(str(error))
    return settings


def _generate_keys() -> None:
    print(f"LEDGER_KEY_ENCRYPTION_KEY={fresh_key()}")
    print(f"LEDGER_SEAL_SIGNING_KEY={fresh_key()}")
    print(f"LEDGER_JWT_SECRET={fresh_key()}")


def _print_welcome(settings: Settings, host: str, port: int) -> None:
    print(f"Ledger API on http://{host}:{port}  docs: http://{host}:{port}/docs", flush=True)
    if not settings.embedded or settings.jwks_file or settings.jwks_url:
        return  # a shared secret's admin tokens do not belong in a service's log
    print("Development tokens (12 h; mint more with `ledger token --sub ... --role ...`):")
    for role in ROLES:
        print(f"  {role:<10} {mint(settings, f'dev-{role}', [role], ['*'])}")
    print(flush=True)


def _serve(settings: Settings, host: str, port: int, workers: int | None) -> None:
    workers = workers or settings.workers
    if workers > 1 and settings.database_url.startswith("sqlite"):
        sys.exit("--workers needs PostgreSQL: SQLite takes one writing process")
    if workers > 1 and settings.projections_in_process:
        sys.exit("--workers: run read models with `ledger project NAME`, not in the API processes")
    _print_welcome(settings, host, port)
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, access_log=False)
        return
    # The schema is made here, once, and each process then builds its app, and its Ledger, from
    # the same environment without touching it. Had each process made it in turn (an advisory
    # lock) when connections were scarce, one held the lock waiting for a connection that the
    # other held waiting for the lock, until the pool gave up.
    wiring.build(settings, follow_in_process=False).close()
    os.environ["LEDGER_CREATE_SCHEMA"] = "false"  # spawned processes read this environment
    # uvicorn's supervisor: it replaces a process that dies or hangs, stops them all gracefully
    # on SIGTERM or SIGINT, and stops when one cannot start (every restart would fail alike).
    uvicorn.run(
        "api.cli:worker_app", factory=True, workers=workers, host=host, port=port, access_log=False
    )


def worker_app() -> LedgerApp:
    """One API process of `ledger serve --workers N`, built from the environment set above."""
    supervisor = os.getppid()
    threading.Thread(target=_stop_when_orphaned, args=(supervisor,), daemon=True).start()
    return create_app()


def _stop_when_orphaned(supervisor: int) -> None:
    """Once the supervisor is gone (killed, say), nobody would stop or replace this process and
    it would go on serving its share of the port: shut down as on SIGTERM, gracefully."""
    while os.getppid() == supervisor:
        time.sleep(1.0)
    os.kill(os.getpid(), signal.SIGTERM)


def _project(settings: Settings, names: list[str], batch: int) -> None:
    components = wiring.build(settings, follow_in_process=False)
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


def _verify(settings: Settings, files: list[Path]) -> int:
    try:
        trusted = [checkpoint for path in files for checkpoint in read_trusted(path)]
    except TrustedFileError as error:
        print(f"ledger verify: {error}", file=sys.stderr)
        return 2
    components = wiring.build(settings, follow_in_process=False)
    try:
        result = verify(
            components.ledger.recorder,
            components.seal,
            settings.seal_signer().public_key(),
            trusted,
        )
    finally:
        components.close()
    print("\n".join(summary(result)))
    return EXIT_CODES[result.status]


def _reapply_erasures(settings: Settings, path: Path | None) -> int:
    """Exit 0 once every listed person is erased and their key's bytes are gone; 1 if the key
    store could not be rewritten (nothing is claimed); 2 if the list cannot be read."""
    erasure_list = ErasureList(path or settings.erasure_list())
    try:
        listed = erasure_list.read()
    except (OSError, ValueError) as error:
        print(f"cannot read the erasure list: {error}", file=sys.stderr)
        return 2
    ledger = wiring.ledger_for(settings)
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


def _export(settings: Settings, path: str) -> None:
    components = wiring.build(settings, follow_in_process=False)
    try:
        written = export_audit(components.ledger.recorder, components.seal, settings, Path(path))
    finally:
        components.close()
    print(f"wrote {written} events and the signed checkpoints to {path}")


def _rebuild(settings: Settings, names: list[str]) -> None:
    components = wiring.build(settings, follow_in_process=False)
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


if __name__ == "__main__":
    main(sys.argv[1:])
