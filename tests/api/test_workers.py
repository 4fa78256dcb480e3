"""`ledger serve --workers 2` on PostgreSQL: clients coming one after another reach every
process, a process that dies is replaced, and SIGTERM stops every process."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.test_request_log import a_free_port
from tests.conftest_stores import ROOT, process_env

CONNECTIONS = 16
STAGGER = 0.05  # seconds between two clients' first requests


@pytest.fixture
def served(
    postgres_schema_url: str, tmp_path: Path
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = a_free_port()
    env = {
        **process_env(postgres_schema_url, tmp_path),
        "LEDGER_JWT_SECRET_FILE": str(tmp_path / "jwt"),
        "LEDGER_PORT": str(port),
        "LEDGER_WORKERS": "2",
        "LEDGER_PROJECTIONS_IN_PROCESS": "false",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield server, port
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(30)


def health(conn: http.client.HTTPConnection) -> int:
    conn.request("GET", "/health")
    response = conn.getresponse()
    body = json.loads(response.read())
    assert response.status == 200
    assert body["status"] == "ok"
    return int(body["process"])


def processes_answering(port: int, at_least: int, timeout: float = 60) -> set[int]:
    """The processes answering new connections, once `at_least` of them have."""
    seen: set[int] = set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5):
                pass
            seen |= {health(http.client.HTTPConnection("127.0.0.1", port, timeout=5))}
        except OSError:
            time.sleep(0.1)
            continue
        if len(seen) >= at_least:
            return seen
        # Only new connections ever reach the other process: leave time for it to start.
        time.sleep(0.05)
    raise AssertionError(f"only {seen} answered within {timeout} s")


def test_clients_that_come_one_after_another_reach_every_process(
    served: tuple[subprocess.Popen[bytes], int],
) -> None:
    _, port = served
    processes_answering(port, at_least=2)
    # Clients come as they do behind a load balancer: one after another, each asking at once.
    conns = []
    for _ in range(CONNECTIONS):
        conns.append(http.client.HTTPConnection("127.0.0.1", port, timeout=10))
        health(conns[-1])
        time.sleep(STAGGER)
    served_by = {id(conn): health(conn) for conn in conns}
    # Each keep-alive connection stays with the process that took it.
    assert {id(conn): health(conn) for conn in conns} == served_by
    for conn in conns:
        conn.close()
    shares = Counter(served_by.values())
    assert len(shares) == 2, shares
    assert min(shares.values()) >= CONNECTIONS // 4, shares  # none is left nearly idle


def test_a_process_that_dies_is_replaced_and_sigterm_stops_them_all(
    served: tuple[subprocess.Popen[bytes], int],
) -> None:
    server, port = served
    first = processes_answering(port, at_least=2)
    victim = min(first)
    os.kill(victim, signal.SIGKILL)
    # The survivor answers meanwhile, and a new process joins it.
    replaced = set()
    deadline = time.monotonic() + 60
    while len(replaced - first) == 0 and time.monotonic() < deadline:
        replaced |= processes_answering(port, at_least=1)
    assert victim not in replaced
    assert replaced - first, (first, replaced)
    assert server.poll() is None
    children = _children(server.pid)
    server.send_signal(signal.SIGTERM)
    assert server.wait(30) == 0
    deadline = time.monotonic() + 10
    while any(not _gone(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = {pid: _command(pid) for pid in children if not _gone(pid)}
    assert not left, left


def test_the_processes_of_a_killed_supervisor_shut_down_on_their_own(
    served: tuple[subprocess.Popen[bytes], int],
) -> None:
    server, port = served
    processes_answering(port, at_least=2)
    children = _children(server.pid)
    assert len(children) >= 2

    server.kill()  # SIGKILL: it cannot stop them itself
    server.wait(10)

    deadline = time.monotonic() + 20
    while any(not _gone(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = {pid: _command(pid) for pid in children if not _gone(pid)}
    assert not left, left
    with pytest.raises(ConnectionRefusedError):  # nobody serves the port any more
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _gone(pid: int) -> bool:
    try:
        return (Path(f"/proc/{pid}") / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def _command(pid: int) -> str:
    try:
        return (Path(f"/proc/{pid}") / "cmdline").read_text().replace("\0", " ")
    except OSError:
        return "(gone)"
