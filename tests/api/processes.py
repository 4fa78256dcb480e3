"""`ledger serve` and `ledger project` as real processes, their output in files of the test."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.conftest_stores import ROOT


@contextmanager
def ledger(
    *args: str, env: dict[str, str], log: Path, cwd: Path = ROOT
) -> Iterator[subprocess.Popen[bytes]]:
    """`ledger ARGS` until the block ends (SIGTERM, then SIGKILL). A file takes its output: a
    pipe nobody reads would fill with request lines and stop the server."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", *args], cwd=cwd, env=env, stdout=out, stderr=out
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(10)


def get(port: int, path: str, timeout: float = 5.0) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        return response.status, json.loads(body) if path != "/metrics" else body.decode()
    finally:
        conn.close()


def wait_until(port: int, path: str, status: int, timeout: float) -> tuple[float, Any]:
    """Seconds until `path` answers `status`, and that answer's body."""
    started = time.monotonic()
    last: Any = None
    while time.monotonic() - started < timeout:
        try:
            answered, body = get(port, path)
        except OSError:
            time.sleep(0.1)
            continue
        last = body
        if answered == status:
            return time.monotonic() - started, body
        time.sleep(0.1)
    raise AssertionError(f"{path} did not answer {status} within {timeout} s; last: {last}")
