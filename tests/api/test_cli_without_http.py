"""The operator's commands (`ledger project`, `rebuild`, `verify`) run without loading the HTTP
stack: a read-model process has no use for FastAPI or uvicorn, and must not fail on them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from api.bootstrap import ledger_for
from api.bulk_import import WORKERS
from api.cli import IMPORT_WORKERS
from tests.conftest_stores import TODAY, process_env, settings_for
from tests.integration.scenario import a_world

# Runs `ledger ARGS` in this process, then names whatever of the HTTP stack was imported.
# `ledger project` follows until SIGTERM: it is sent once the command's handler is in place.
IN_PROCESS = """
import os, signal, sys, threading, time
from api.cli import main

def stop_once_following():
    while signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        time.sleep(0.05)
    time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGTERM)

threading.Thread(target=stop_once_following, daemon=True).start()
code = 0
try:
    main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
http = ("fastapi", "starlette", "uvicorn", "api.app", "api.observability")
loaded = sorted(m for m in sys.modules if m in http or m.startswith(("fastapi.", "starlette.",
                "uvicorn.")))
print("HTTP stack loaded:", " ".join(loaded) or "none")
sys.exit(code)
"""


def ledger_command(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-c", IN_PROCESS, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def test_project_rebuild_and_verify_load_neither_fastapi_nor_uvicorn(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/ledger.sqlite3"
    ledger = ledger_for(settings_for(url, tmp_path), clock=lambda: TODAY)
    try:
        a_world(ledger)
    finally:
        ledger.close()
    env = {**process_env(url, tmp_path), "LEDGER_CHECKPOINT_EVERY_EVENTS": "1"}

    for args in (["project", "caseloads", "seal"], ["rebuild", "--all"], ["verify"]):
        code, output = ledger_command(*args, env=env, cwd=tmp_path)

        assert code == 0, output
        assert "HTTP stack loaded: none" in output, output
    assert "OK: every event up to position" in output


def test_the_command_line_states_the_import_default_of_the_importer() -> None:
    # The parser cannot ask api.bulk_import (it loads the API's command table) for its default.
    assert IMPORT_WORKERS == WORKERS
