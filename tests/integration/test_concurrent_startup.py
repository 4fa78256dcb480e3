"""Processes started together on a new database (the API, one per read model) all come up."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

STARTS = """
import os, time
from api.settings import Settings
from api.wiring import build
time.sleep(max(0.0, float(os.environ["START_AT"]) - time.time()))  # all at the same moment
build(Settings(), follow_in_process=False).close()
"""


def test_five_processes_starting_at_once_on_a_new_database_all_come_up(
    postgres_schema_url: str, tmp_path: Path
) -> None:
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "PYTHONPATH": str(root),
        "LEDGER_DATABASE_URL": postgres_schema_url,
        "LEDGER_KEY_ENCRYPTION_KEY_FILE": str(tmp_path / "kek"),
        "LEDGER_SEAL_SIGNING_KEY_FILE": str(tmp_path / "seal"),
        "START_AT": str(time.time() + 3),
    }
    starts = [
        subprocess.Popen(
            [sys.executable, "-c", STARTS], env=env, cwd=root, stderr=subprocess.PIPE, text=True
        )
        for _ in range(5)
    ]
    failures = [p.communicate(timeout=120)[1] for p in starts if p.wait(120) != 0]
    assert not failures, failures[0][-2000:]
