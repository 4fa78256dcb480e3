"""The command line's errors are one line naming the file (and line) at fault, never a
traceback, and exit 1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest_stores import process_env

PROGRAM = {"command": "define_program", "params": {}, "body": {"code": "P-1"}}


def ledger(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        env=process_env(f"sqlite:///{folder}/ledger.sqlite3", folder),
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("second_line", "says"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "a line is one JSON object"),
        ('{"command": "launch_rocket"}', "names no command the ledger knows"),
        ('{"command": "deliver_service", "params": {}, "body": {}}',
         "deliver_service names its params.episode_id"),
        ('{"command": "define_program", "params": [], "body": {}}', "params is a JSON object"),
        (json.dumps(PROGRAM), "define_program was refused"),
    ],
)  # fmt: skip
def test_a_line_that_cannot_be_imported_is_named_in_one_line(
    tmp_path: Path, second_line: str, says: str
) -> None:
    commands = tmp_path / "commands.ndjson"
    commands.write_text("\n" + second_line + "\n")
    done = ledger(tmp_path, "import", str(commands))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith(f"ledger import: {commands}:2: {says}"), line
    assert done.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        ("import", "no-such-file.ndjson"),
        ("export-audit", "no-such-folder/export.ndjson"),
        ("export-indigo", "P-1", "no-such-folder/indigo.json"),
    ],
)
def test_a_file_that_cannot_be_read_or_written_is_named_in_one_line(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    done = ledger(tmp_path, *args)
    assert done.returncode in (1, 2), done.stderr
    assert "Traceback" not in done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith(f"ledger {args[0]}: "), line
    assert "no-such-f" in line or "no program" in line, line
