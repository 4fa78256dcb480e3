"""`ledger serve` on an address it cannot listen on says so in one line, before it prints or
starts anything."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from tests.conftest_stores import process_env


def test_a_port_in_use_is_one_line_and_nothing_else(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
            env=process_env(f"sqlite:///{tmp_path}/ledger.sqlite3", tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        f"ledger serve: cannot listen on 127.0.0.1:{port}: Address already in use (stop what"
        " uses it, or pick another --host/--port)\n"
    )
    assert not (tmp_path / "ledger.sqlite3").exists()


def test_an_address_not_of_this_machine_is_refused_alike(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "serve", "--host", "192.0.2.1", "--port", "8000"],
        env=process_env(f"sqlite:///{tmp_path}/ledger.sqlite3", tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("ledger serve: cannot listen on 192.0.2.1:8000: ")
    assert len(done.stderr.splitlines()) == 1
