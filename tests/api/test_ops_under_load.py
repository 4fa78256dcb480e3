"""`/health` and `/ready` answer at once however busy the API is: a probe that times out gets a
healthy process restarted, or taken out of its load balancer, exactly when it is busiest."""

from __future__ import annotations

import http.client
import multiprocessing
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import OWN, Api
from tests.api.processes import ledger, wait_until
from tests.api.test_request_log import a_free_port
from tests.api.world import day, episode, participant, program
from tests.conftest_stores import process_env, settings_for

CLIENTS = 48  # concurrent /v1/batch calls, as when the probe timed out 4 times in 23
COMMANDS_PER_BATCH = 20
PROBES = 20
# Every probe: before, a probe queued in the thread pool behind the batches, for their whole
# length (several seconds here). The first probe, when the 48 batches arrive together, was
# measured at 0.2-1.2 s: the event loop then waits for the interpreter lock behind 40 batch
# threads, on a two-core machine that other processes keep busy. After that burst, probes took
# 2-70 ms; the median is held to the 100 ms promise.
EVERY_PROBE_SECONDS = 2.0
MEDIAN_SECONDS = 0.1


@pytest.fixture
def served(store_url: str, tmp_path: Path) -> Iterator[Api]:
    port = a_free_port()
    env = {
        **process_env(store_url, tmp_path),
        "LEDGER_PORT": str(port),
        "LEDGER_PROJECTIONS_IN_PROCESS": "true",
    }
    with ledger("serve", env=env, log=tmp_path / "serve.log"):
        wait_until(port, "/health", 200, timeout=120)
        api = Api(f"http://127.0.0.1:{port}", settings_for(store_url, tmp_path), app=None)
        try:
            yield api
        finally:
            api.http.close()


def timed_get(port: int, path: str) -> tuple[float, int]:
    """A probe as an orchestrator makes it: a new connection, one request."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
    finally:
        conn.close()
    return time.perf_counter() - started, response.status


def load(url: str, headers: dict[str, str], episodes: list[str], counts: Any, stop: Any) -> None:
    """CLIENTS threads, each with an httpx client, sending /v1/batch calls until `stop`;
    `counts`: batches in flight, batches answered. Run in a process of its own, so that the
    probes, in the test's process, never wait for these threads' turn on the interpreter."""

    def client(n: int) -> None:
        with httpx.Client(base_url=url, timeout=120, headers=headers) as http:
            sent = 0
            while not stop.is_set():
                batch = [
                    {
                        "path": f"/v1/episodes/{episodes[n % len(episodes)]}/services",
                        "idempotency_key": f"load-{n}-{sent}-{i}",
                        "body": {"kind": "home_care", "settlement": "Bredy", "occurred_on": day(1)},
                    }
                    for i in range(COMMANDS_PER_BATCH)
                ]
                sent += 1
                with counts.get_lock():
                    counts[0] += 1
                response = http.post("/v1/batch", json={"commands": batch})
                with counts.get_lock():
                    counts[0] -= 1
                    counts[1] += 1
                assert response.status_code == 200, response.text

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_health_and_ready_answer_within_the_bound_during_48_concurrent_batches(
    served: Api,
) -> None:
    api, port = served, int(served.url.rsplit(":", 1)[1])
    own = program(api, OWN)
    episodes = [episode(api, participant(api, [OWN], f"Person {n}"), own, [OWN]) for n in range(8)]
    spawn = multiprocessing.get_context("spawn")
    counts, stop = spawn.Array("i", 2), spawn.Event()
    loader = spawn.Process(
        target=load, args=(api.url, api.as_("caseworker"), episodes, counts, stop), daemon=True
    )
    loader.start()
    timings: dict[str, list[float]] = {"/health": [], "/ready": []}
    busy: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while counts[0] < CLIENTS * 3 // 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        for _ in range(PROBES):
            for path, seen in timings.items():
                busy.append(counts[0])
                seconds, status = timed_get(port, path)
                assert status in (200, 503)  # under this load a read model may well lag
                seen.append(seconds)
            time.sleep(0.1)
        answered = counts[1]
    finally:
        stop.set()
        loader.join(180)

    worst = {path: max(seen) for path, seen in timings.items()}
    median = {path: sorted(seen)[len(seen) // 2] for path, seen in timings.items()}
    print(
        f"\nbatches in flight at each probe: min {min(busy)}, median {sorted(busy)[len(busy) // 2]}"
        f"; batches answered by the end of the probes: {answered}"
        + "".join(
            f"\n{path}: median {median[path] * 1000:.1f} ms, max {worst[path] * 1000:.1f} ms"
            f" ({', '.join(f'{t * 1000:.0f}' for t in seen)})"
            for path, seen in timings.items()
        )
    )
    assert min(busy) >= CLIENTS // 2, busy  # the probes met a real load
    for path, seen in timings.items():
        assert worst[path] < EVERY_PROBE_SECONDS, (path, seen)
        assert median[path] < MEDIAN_SECONDS, (path, seen)
