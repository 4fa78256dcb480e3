"""The commands that load the HTTP stack: serve the API, mint a token, import commands through
the API's command table."""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path

import uvicorn

from api import bootstrap
from api.app import LedgerApp, create_app
from api.auth import mint
from api.bulk_import import ImportFileError, import_file
from api.roles import ROLES
from api.settings import Settings


def print_welcome(settings: Settings, host: str, port: int) -> None:
    print(f"Ledger API on http://{host}:{port}  docs: http://{host}:{port}/docs", flush=True)
    if not settings.embedded or settings.jwks_file or settings.jwks_url:
        return  # a shared secret's admin tokens do not belong in a service's log
    print("Development tokens (12 h; mint more with `ledger token --sub ... --role ...`):")
    for role in ROLES:
        print(f"  {role:<10} {mint(settings, f'dev-{role}', [role], ['*'])}")
    print(flush=True)


def unusable_address(host: str, port: int) -> str | None:
    """Why the API could not listen on host:port (in use, not this machine's), or None."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            probe.bind(address)
    except OSError as error:
        return error.strerror or str(error)
    return None


def serve(settings: Settings, host: str, port: int, workers: int | None) -> None:
    # Before anything is printed or started: tokens and a banner for an API that then cannot
    # listen would only bury the one line that matters.
    refused = unusable_address(host, port)
    if refused is not None:
        sys.exit(f"ledger serve: cannot listen on {host}:{port}: {refused} (stop what uses it,"
                 " or pick another --host/--port)")  # fmt: skip
    workers = workers or settings.workers
    if workers > 1 and settings.database_url.startswith("sqlite"):
        sys.exit("--workers needs PostgreSQL: SQLite takes one writing process")
    if workers > 1 and settings.projections_in_process:
        sys.exit("--workers: run read models with `ledger project NAME`, not in the API processes")
    print_welcome(settings, host, port)
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, access_log=False)
        return
    # The schema is made here, once, and each process then builds its app, and its Ledger, from
    # the same environment without touching it. Had each process made it in turn (an advisory
    # lock) when connections were scarce, one held the lock waiting for a connection that the
    # other held waiting for the lock, until the pool gave up.
    bootstrap.build(settings, follow_in_process=False).close()
    os.environ["LEDGER_CREATE_SCHEMA"] = "false"  # spawned processes read this environment
    # uvicorn's supervisor: it replaces a process that dies or hangs, stops them all gracefully
    # on SIGTERM or SIGINT, and stops when one cannot start (every restart would fail alike).
    uvicorn.run(
        "api.cli_http:worker_app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        access_log=False,
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


def token(
    settings: Settings, subject: str, roles: list[str], programs: list[str], hours: float
) -> None:
    print(mint(settings, subject, roles, programs, hours))


def import_commands(settings: Settings, path: Path, workers: int, source: str | None) -> None:
    ledger = bootstrap.ledger_for(settings)
    try:
        report = import_file(ledger, path, workers=workers, source=source)
    except ImportFileError as error:
        sys.exit(f"ledger import: {error}")
    finally:
        ledger.close()
    print(
        f"imported {report.lines} commands, {report.events} events in {report.seconds:.1f} s"
        f" ({report.events_per_second:,.0f} events/s)"
    )
