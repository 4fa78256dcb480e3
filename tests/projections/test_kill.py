"""A projection process killed mid catch-up and restarted ends exactly where a rebuild ends."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import date, timedelta

import psycopg
import pytest
from psycopg import sql

from domain.episode import Episode
from projections.model import ReadModel
from projections.rebuild import rebuild
from projections.registry import READ_MODELS
from tests.conftest_stores import TODAY, process_env
from tests.integration.scenario import CASEWORKER, a_world, an_episode
from tests.projections.conftest import Stores, open_stores

EVENTS = 52_000
KINDS = ("home_care", "transport", "consultation_doctor", "active_longevity")


@pytest.fixture(scope="module")
def big_log(postgres_url: str) -> Iterator[tuple[str, Stores]]:
    """A PostgreSQL schema holding a log of more than 50,000 events."""
    schema = f"k_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    url = f"{postgres_url}?schema={schema}"
    stores = open_stores(url)
    world = a_world(stores.ledger)
    episodes = [world.episode] + [an_episode(stores.ledger, world.program) for _ in range(9)]
    per_save = 500
    for n in range(EVENTS // per_save):
        episode = stores.ledger.load(Episode, episodes[n % len(episodes)])
        for i in range(per_save):
            day = date(2024, 3, 1) + timedelta(days=(n + i) % 90)
            episode.deliver_service(
                KINDS[i % 4], 1 + i % 3, f"village-{i % 28}", day, CASEWORKER.actor, TODAY
            )
        stores.ledger.save(episode)
    yield url, stores
    stores.read.close()
    stores.ledger.close()


def rows(model: ReadModel) -> dict[str, list[tuple[object, ...]]]:
    with model.reading() as reading:
        return {
            table: sorted(reading.tx.execute(f"SELECT * FROM {reading.t(table)}"), key=repr)
            for table in model.TABLES
        }


def project(url: str, names: list[str], stores: Stores) -> subprocess.Popen[str]:
    env = process_env(url, stores.folder)
    return subprocess.Popen(
        [sys.executable, "-m", "api.cli", "project", *names, "--batch", "200"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.parametrize(
    "names", [["services"], ["caseloads"], ["outcomes"], ["occupancy", "services", "caseloads"]]
)
def test_a_killed_projection_resumes_to_exactly_the_rows_of_a_rebuild(
    big_log: tuple[str, Stores], names: list[str]
) -> None:
    url, stores = big_log
    head = stores.ledger.recorder.max_notification_id()
    assert head is not None
    assert head > 50_000
    models = [READ_MODELS[name](stores.read) for name in names]
    for model in models:  # from position 0, whatever an earlier case left
        with stores.read.transaction() as tx:
            model.drop_tables(tx)
            stores.read.forget(tx, model.tracking_name)
        model.create_tables()
    model = models[-1]

    process = project(url, names, stores)
    deadline = time.monotonic() + 60
    while model.position() < head // 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    killed_at = model.position()
    assert 0 < killed_at < head, "the kill must land in the middle of catching up"
    assert [m.position() for m in models] == [killed_at] * len(models)  # one transaction

    process = project(url, names, stores)
    deadline = time.monotonic() + 120
    while model.position() < head and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=10)
    assert process.returncode == 0, output
    for name, model in zip(names, models, strict=True):
        assert f"{name}: following from position {killed_at}" in output
        assert f"{name}: stopped at position {head} (log head {head})" in output
        resumed = rows(model)
        rebuild(stores.ledger, stores.read, READ_MODELS[name])
        assert rows(READ_MODELS[name](stores.read)) == resumed
        if name != "occupancy":  # the log has no facility events past the first
            assert sum(len(table_rows) for table_rows in resumed.values()) > 0
