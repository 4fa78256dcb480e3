"""Measurement 2: `ledger serve` and one `ledger project` for the four read models, over sockets.

The load: 16 keep-alive connections, one request in flight on each, from the closed loop of
`load_generator.py` (or its staggered, reconnecting clients), which shares the two cores with
what it measures. The read-your-writes probe is a 17th connection on a thread of its own, through
`http.client`.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import load_generator
import measure

from api.auth import mint
from api.bootstrap import ledger_for
from api.settings import Settings
from projections.registry import READ_MODELS
from tests.integration.scenario import an_episode

# Two API processes (`ledger serve --workers 2`): once the read-model process lingered after
# every round, two measured faster than one (1,064, 1,219 and 1,489 commands/s against 933, 892
# and 986, alternating). Before, the machine was full with one, and two were no faster.
HTTP_WORKERS = 2


class Client:
    """One keep-alive connection, as a frontend holds it."""

    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: Any = None) -> Any:
        payload = json.dumps(body).encode() if body is not None else None
        self.conn.request(method, path, payload, self.headers)
        response = self.conn.getresponse()
        answer = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {answer[:300]!r}")
        return json.loads(answer)


def wait_until_ready(port: int) -> None:
    """Up, and every read model caught up with the set-up commands."""
    for _ in range(600):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/ready")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError("the API did not become ready")


def http_load(
    settings: Settings,
    env: dict[str, str],
    program: uuid.UUID,
    clients: int,
    seconds: float,
    *,
    staggered: bool = False,
    tree: Path | None = None,
) -> dict[str, Any]:
    """`clients` post services to `ledger serve`; a probe reads its own writes meanwhile.
    `staggered`: the clients come and reconnect as real ones do; `tree`: the checkout whose
    `ledger` serves (default: the one on PYTHONPATH in `env`)."""
    ledger = ledger_for(settings)
    episodes = [an_episode(ledger, program) for _ in range(clients + 1)]
    ledger.close()
    port = 18_000 + os.getpid() % 1000
    env = {
        **env,
        "LEDGER_PROJECTIONS_IN_PROCESS": "false",
        "LEDGER_READY_MAX_LAG": "0",
        "LEDGER_PORT": str(port),
        "LEDGER_WORKERS": str(HTTP_WORKERS),
        **({"PYTHONPATH": str(tree)} if tree else {}),
    }
    # Shaped as production on two cores: the API, and one process following the log for the four
    # read models. One process per model measured 290-382 commands/s against 394-463, alternating:
    # each woke for every commit, and together they took a third of the machine.
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "api.cli", *command],
            env=env,
            cwd=tree,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # The seal follows in a process of its own, as in production: /ready waits for it too.
        for command in [["serve"], ["project", *READ_MODELS], ["project", "seal"]]
    ]
    token = mint(settings, "bench", ["caseworker"], ["*"])
    try:
        wait_until_ready(port)
        body = {"kind": "home_care", "settlement": "village-01", "occurred_on": "2025-03-01"}
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        requests = [
            load_generator.post(
                f"/v1/episodes/{episode}/services", headers, json.dumps(body).encode()
            )
            for episode in episodes[:clients]
        ]
        prober_client = Client(port, token)
        delays: list[float] = []
        stop = threading.Event()

        def probe() -> None:  # command answered -> visible in the caseload read model
            while not stop.is_set():
                answer = prober_client.call(
                    "POST", f"/v1/episodes/{episodes[clients]}/services", body
                )
                answered = time.perf_counter()
                query = urlencode({"min_position": answer["position"]})
                prober_client.call("GET", f"/v1/caseloads/bench?{query}")
                delays.append(time.perf_counter() - answered)

        prober = threading.Thread(target=probe)
        prober.start()
        load = load_generator.staggered if staggered else load_generator.closed_loop
        rate, client_cpu = load(port, requests, seconds)
        stop.set()
        prober.join()
        return {
            "http": rate,
            "http_client_cpu_ms": client_cpu * 1000,
            "ryw_p50_ms": measure.percentile(delays, 0.5),
            "ryw_p99_ms": measure.percentile(delays, 0.99),
        }
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(10)
