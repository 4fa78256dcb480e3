"""`/ready` on PostgreSQL, with the read models and the seal followed by real `ledger project`
processes: ready only while each is followed, and behind the log head by a bounded time."""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from api.bootstrap import ledger_for
from domain.ledger import Ledger
from projections.registry import READ_MODELS
from tests.api.processes import get, ledger, wait_until
from tests.api.test_request_log import a_free_port
from tests.conftest_stores import TODAY, process_env, settings_for
from tests.integration.scenario import CASEWORKER, MARCH, a_world

BOUND = 3.0  # LEDGER_READY_MAX_LAG_SECONDS in these tests
# A follower beats every second and the API checks every half second: a silent follower is
# seen within BOUND plus those, and a second more for a loaded machine.
SEEN_WITHIN = BOUND + 1.0 + 0.5 + 1.0
STARTS_WITHIN = 120.0  # processes start slowly on a busy two-core machine


@dataclass
class Deployment:
    """An API process and whatever followers the test starts beside it."""

    port: int
    env: dict[str, str]
    folder: Path
    processes: ExitStack

    def follow(self, *args: str) -> Any:
        name = "-".join(a for a in args if not a.startswith("-"))
        return self.processes.enter_context(
            ledger("project", *args, env=self.env, log=self.folder / f"project-{name}.log")
        )

    def ready(self) -> tuple[int, dict[str, Any]]:
        status, body = get(self.port, "/ready")
        return status, body

    def metric(self, name: str, read_model: str) -> float:
        _, text = get(self.port, "/metrics")
        found = re.search(rf'^{name}{{read_model="{read_model}"}} (\S+)$', text, re.MULTILINE)
        assert found, f"no {name} for {read_model}"
        return float(found.group(1))


@pytest.fixture
def deployment(postgres_schema_url: str, tmp_path: Path) -> Iterator[Deployment]:
    port = a_free_port()
    env = {
        **process_env(postgres_schema_url, tmp_path),
        "LEDGER_PORT": str(port),
        "LEDGER_PROJECTIONS_IN_PROCESS": "false",
        "LEDGER_READY_MAX_LAG_SECONDS": str(BOUND),
    }
    with ExitStack() as processes:
        processes.enter_context(ledger("serve", env=env, log=tmp_path / "serve.log"))
        wait_until(port, "/health", 200, STARTS_WITHIN)
        yield Deployment(port, env, tmp_path, processes)


def test_without_followers_the_api_is_not_ready_and_names_each_unfollowed_model(
    deployment: Deployment,
) -> None:
    status, body = deployment.ready()

    assert status == 503
    assert body["ready"] is False
    assert sorted(body["read_models"]) == sorted(READ_MODELS)
    for name, model in [*body["read_models"].items(), ("seal", body["seal"])]:
        assert model["ready"] is False
        assert model["reason"] == "no_follower"
        assert f"ledger project {name}" in model["detail"]
        assert model["heartbeat_seconds_ago"] is None


def test_running_followers_make_it_ready_and_a_killed_one_unready_within_the_bound(
    deployment: Deployment,
) -> None:
    deployment.follow(*READ_MODELS)
    seal = deployment.follow("seal")
    wait_until(deployment.port, "/ready", 200, STARTS_WITHIN)
    _, ready = deployment.ready()
    assert ready["seal"]["ready"] is True
    assert ready["seal"]["heartbeat_seconds_ago"] < BOUND

    os.kill(seal.pid, signal.SIGKILL)  # no goodbye: as a crash or a lost host
    took, body = wait_until(deployment.port, "/ready", 503, timeout=SEEN_WITHIN + 5)

    print(f"not ready {took:.1f} s after the seal's follower was killed (bound {BOUND} s)")
    assert took <= SEEN_WITHIN, body
    assert body["seal"]["reason"] == "follower_silent"
    assert body["seal"]["heartbeat_seconds_ago"] > BOUND
    assert all(model["ready"] for model in body["read_models"].values())
    assert deployment.metric("ledger_read_model_heartbeat_age_seconds", "seal") > BOUND
    assert deployment.metric("ledger_read_model_heartbeat_age_seconds", "services") < BOUND


def many_events(deployment: Deployment, url: str, count: int) -> int:
    """`count` services written straight to the store, as a busy day would; the log head."""
    ledger_: Ledger = ledger_for(settings_for(url, deployment.folder), clock=lambda: TODAY)
    try:
        world = a_world(ledger_)
        for _ in range(count):
            ledger_.deliver_service(
                CASEWORKER, world.episode, kind="home_care", quantity=1,
                settlement="Bredy", occurred_on=MARCH,
            )  # fmt: skip
        return int(ledger_.recorder.max_notification_id() or 0)
    finally:
        ledger_.close()


def test_a_follower_that_is_alive_but_falls_behind_in_time_is_not_ready_and_its_lag_is_shown(
    deployment: Deployment, postgres_schema_url: str
) -> None:
    written = time.monotonic()
    head = many_events(deployment, postgres_schema_url, 2000)
    # The events must be older than the bound by the time the slow seal is seen behind them,
    # however fast they were written.
    time.sleep(max(0.0, written + BOUND + 0.5 - time.monotonic()))
    deployment.follow(*READ_MODELS)
    deployment.follow("seal", "--batch", "1")  # one event a transaction: it falls behind

    lagging: dict[str, Any] | None = None
    deadline = time.monotonic() + STARTS_WITHIN
    while lagging is None and time.monotonic() < deadline:
        status, body = deployment.ready()
        seal = body.get("seal", {})
        if seal.get("heartbeat_seconds_ago") is not None and seal["position"] > 0:
            assert status == 503, body
            lagging = body
        time.sleep(0.05)

    assert lagging is not None, "the seal's follower never reported"
    seal = lagging["seal"]
    assert seal["reason"] == "lagging"
    assert seal["heartbeat_seconds_ago"] < BOUND  # alive, only slow
    assert 0 < seal["lag"] < 10_000  # a lag the position limit alone would have let pass
    assert seal["lag_seconds"] > BOUND
    assert deployment.metric("ledger_read_model_lag_seconds", "seal") > BOUND
    assert deployment.metric("ledger_read_model_lag", "seal") > 0
    # Once it has caught up, it is ready.
    wait_until(deployment.port, "/ready", 200, STARTS_WITHIN)
    _, body = deployment.ready()
    assert body["seal"]["position"] >= head
    assert body["seal"]["lag"] == 0
