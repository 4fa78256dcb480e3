"""A read-model process on PostgreSQL wakes on each write's NOTIFY instead of waiting to poll."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from projections.caseloads import Caseloads
from tests.conftest_stores import ROOT, process_env
from tests.integration.scenario import CASEWORKER, MARCH, a_world
from tests.projections.conftest import open_stores


def seconds_until(model: Caseloads, position: int, limit: float = 10.0) -> float:
    started = time.monotonic()
    while model.live_position() < position:
        assert time.monotonic() - started < limit, "the read model did not follow"
        time.sleep(0.005)
    return time.monotonic() - started


def test_a_projection_process_sees_each_write_long_before_its_next_poll(
    postgres_schema_url: str, tmp_path: Path
) -> None:
    stores = open_stores(postgres_schema_url)
    ledger = stores.ledger
    world = a_world(ledger)
    env = {**process_env(postgres_schema_url, tmp_path), "LEDGER_PROJECTION_FALLBACK_POLL": "5"}
    follower = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "project", "caseloads"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert follower.stdout is not None
        follower.stdout.readline()  # "caseloads: following from position ..."
        model = Caseloads(stores.read)
        seconds_until(model, ledger.recorder.max_notification_id() or 0)
        delays = []
        for _ in range(3):
            time.sleep(0.3)
            written = ledger.deliver_service(
                CASEWORKER, world.episode, kind="home_care", quantity=1,
                settlement="Bredy", occurred_on=MARCH,
            )  # fmt: skip
            delays.append(seconds_until(model, written.position))
    finally:
        follower.terminate()
        follower.wait(10)
        stores.read.close()
        ledger.close()
    # Polling every 5 s, three writes all seen within 1 s would be luck (about 1 in 125).
    assert max(delays) < 1.0, delays
