"""Processes started together on a new database (the API, one per read model) all come up."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tests.conftest_stores import ROOT, process_env

STARTS = """
import os, time
from api.settings import Settings
from api.bootstrap import build
time.sleep(max(0.0, float(os.environ["START_AT"]) - time.time()))  # all at the same moment
build(Settings(), follow_in_process=False).close()
"""


def test_five_processes_starting_at_once_on_a_new_database_all_come_up(
    postgres_schema_url: str, tmp_path: Path
) -> None:
    env = {**process_env(postgres_schema_url, tmp_path), "START_AT": str(time.time() + 3)}
    starts = [
        subprocess.Popen(
            [sys.executable, "-c", STARTS], env=env, cwd=ROOT, stderr=subprocess.PIPE, text=True
        )
        for _ in range(5)
    ]
    failures = [p.communicate(timeout=120)[1] for p in starts if p.wait(120) != 0]
    assert not failures, failures[0][-2000:]
