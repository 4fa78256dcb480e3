"""The `ledger` command line: its arguments, and which command runs.

Serving (and the token and import commands) loads FastAPI and uvicorn; the operator's commands
(project, rebuild, verify, ...) start without them: their modules are imported when they run.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from api import cli_claims, cli_ops, cli_reports
from api.keys import MissingKeyError, fresh_key, require_keys
from api.roles import ROLES
from api.settings import Settings
from projections.registry import READ_MODELS

# The name in pyproject.toml's [project]: the installed distribution's metadata holds the version.
DISTRIBUTION = "service-episode-ledger"

# api.bulk_import.WORKERS, which loads the API's command table: a test holds them equal.
IMPORT_WORKERS = 8

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
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
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
    commands.add_parser(
        "reindex", help="make the blind index of people anew from the log (API stopped)"
    )
    importing = commands.add_parser("import", help="import NDJSON commands (migration, bulk sync)")
    importing.add_argument("file")
    importing.add_argument(
        "--workers",
        type=int,
        default=IMPORT_WORKERS,
        help=f"threads running commands (default {IMPORT_WORKERS})",
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
    indigo = commands.add_parser(
        "export-indigo", help="write a program in the INDIGO data standard (JSON)"
    )
    indigo.add_argument("program", help="the program's code or id")
    indigo.add_argument("file", help="where to write the export")
    indigo.add_argument("--as-of", type=date.fromisoformat, help="YYYY-MM-DD (default: today)")
    cli_claims.add_parser(commands)
    cli_reports.add_parser(commands)
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


# Commands whose answer is an exit code.
EXITING: dict[str, Callable[[Settings, argparse.Namespace], int]] = {
    "verify": lambda settings, args: cli_ops.verify_chain(settings, args.trusted),
    "export-indigo": lambda settings, args: cli_ops.export_indigo(
        settings, args.program, Path(args.file), args.as_of
    ),
    "claims": cli_claims.run,
    "report": cli_reports.run,
    "erasures": lambda settings, args: cli_ops.reapply_erasures(
        settings, Path(args.file) if args.file else None
    ),
}


def main(argv: list[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(argv)
    settings = _settings(args.command)
    try:
        _run(parser, args, settings)
    except OSError as error:  # a file or folder named that cannot be read or written
        where = f"{error.filename}: " if error.filename else ""
        sys.exit(f"ledger {args.command}: {where}{error.strerror or error}")


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace, settings: Settings) -> None:

    if args.command in EXITING:
        sys.exit(EXITING[args.command](settings, args))
    elif args.command == "keys":
        _generate_keys()
    elif args.command == "serve":
        from api.cli_http import serve  # noqa: PLC0415 (see the module's docstring)

        serve(settings, args.host or settings.host, args.port or settings.port, args.workers)
    elif args.command == "import":
        from api.cli_http import import_commands  # noqa: PLC0415

        import_commands(settings, Path(args.file), args.workers, args.source)
    elif args.command == "export-audit":
        cli_ops.export(settings, args.file)
    elif args.command == "token":
        from api.cli_http import token  # noqa: PLC0415

        token(settings, args.sub, args.role, args.program, args.hours)
    elif args.command == "project":
        cli_ops.project(settings, args.names, args.batch or settings.projection_batch)
    elif args.command == "reindex":
        cli_ops.reindex_people(settings)
    elif args.command == "rebuild":
        names = sorted(READ_MODELS) if args.all else args.names
        unknown = set(names) - set(READ_MODELS)
        if not names or unknown:
            parser.error(f"name read models from {sorted(READ_MODELS)} or give --all")
        cli_ops.rebuild_models(settings, names)


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


def _version() -> str:
    """The installed distribution's version; "unknown" when the code runs uninstalled."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown"


def _settings(command: str) -> Settings:
    """The settings, with every key this command needs (checked before anything starts: a key
    made up here would differ from the other hosts' keys)."""
    settings = Settings()
    if command != "keys":
        try:
            require_keys(settings, tokens=command in ("serve", "token"))
        except MissingKeyError as error:
            sys.exit(str(error))
    return settings


def _generate_keys() -> None:
    print(f"LEDGER_KEY_ENCRYPTION_KEY={fresh_key()}")
    print(f"LEDGER_SEAL_SIGNING_KEY={fresh_key()}")
    print(f"LEDGER_JWT_SECRET={fresh_key()}")


if __name__ == "__main__":
    main(sys.argv[1:])
