"""Group commit on PostgreSQL: concurrent commands share transactions, each whole and alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from api.bootstrap import ledger_for
from domain.base import DomainError
from domain.commands import CommandResult, Context
from domain.episode import Episode
from domain.facility import BedUnavailableError, Facility
from domain.ledger import Ledger
from store.committer import OverloadedError
from tests.conftest_stores import ROOT, TODAY, process_env, settings_for
from tests.integration.locks import event_table_locked, wait_until
from tests.integration.machinery import writes_of
from tests.integration.scenario import CASEWORKER, MARCH, a_facility, a_world, an_episode
from tests.integration.stale_group import a_stale_group, stored_at


@pytest.fixture
def ledger(postgres_schema_url: str, tmp_path: Path) -> Iterator[Ledger]:
    ledger = ledger_for(settings_for(postgres_schema_url, tmp_path), clock=lambda: TODAY)
    yield ledger
    ledger.close()


def service(ledger: Ledger, episode: UUID, ctx: Context = CASEWORKER) -> CommandResult:
    return ledger.deliver_service(
        ctx, episode, kind="home_care", quantity=1, settlement="Bredy", occurred_on=MARCH
    )


def services(ledger: Ledger, episode: UUID, count: int) -> list[CommandResult]:
    return [service(ledger, episode) for _ in range(count)]


def outcome(future: Future[Any]) -> Any:
    try:
        return future.result(timeout=30)
    except DomainError as error:
        return error


def test_a_stale_command_in_a_group_fails_alone_and_the_others_commit(
    ledger: Ledger, postgres_schema_url: str
) -> None:
    case = a_stale_group(ledger)

    with ThreadPoolExecutor(8) as pool, event_table_locked(postgres_schema_url):
        leader = pool.submit(service, ledger, case.alone)
        time.sleep(0.2)  # the leader now waits for the lock; the rest queue behind it
        queued = [pool.submit(service, ledger, episode) for episode in case.others]
        stale = [pool.submit(service, ledger, case.world.episode, case.pinned) for _ in range(2)]
        wait_until(lambda: writes_of(ledger).committer.depth == 7)

    case.check([outcome(f) for f in [leader, *queued, *stale]])


def test_every_caller_is_told_the_positions_of_its_own_events(ledger: Ledger) -> None:
    world = a_world(ledger)
    episodes = [an_episode(ledger, world.program) for _ in range(16)]
    groups: list[int] = []
    writes_of(ledger).committer.observe = lambda commands, _: groups.append(commands)

    with ThreadPoolExecutor(16) as pool:  # each thread its own episode, as caseworkers do
        runs = [(e, pool.submit(services, ledger, e, 25)) for e in episodes]
        results = [(e, result) for e, run in runs for result in run.result()]

    assert max(groups) > 1, "no group formed: the test did not exercise group commit"
    for episode, result in results:
        assert stored_at(ledger, result.position) == (episode, result.version)
    positions = [result.position for _, result in results]
    assert len(set(positions)) == len(positions)


def test_a_follower_sees_every_event_once_and_in_order_during_a_16_thread_run(
    ledger: Ledger,
) -> None:
    world = a_world(ledger)
    episodes = [an_episode(ledger, world.program) for _ in range(16)]
    start = (ledger.recorder.max_notification_id() or 0) + 1
    seen: list[int] = []
    writing = threading.Event()
    writing.set()

    def follow() -> None:
        after = start
        while True:
            still_writing = writing.is_set()
            batch = ledger.recorder.select_notifications(after, 200)
            seen.extend(n.id for n in batch)
            if batch:
                after = batch[-1].id + 1
            elif not still_writing:
                return

    follower = threading.Thread(target=follow)
    follower.start()
    with ThreadPoolExecutor(16) as pool:
        for run in [pool.submit(services, ledger, e, 60) for e in episodes]:
            run.result()
    writing.clear()
    follower.join(30)

    stored = [n.id for n in ledger.recorder.select_notifications(start, 10_000)]
    assert len(stored) == 16 * 60
    assert seen == stored


def test_32_caseworkers_racing_for_the_last_bed_get_exactly_one_bed_every_time(
    ledger: Ledger,
) -> None:
    world = a_world(ledger)
    with ThreadPoolExecutor(32) as pool:
        for round_ in range(8):
            facility = a_facility(ledger, capacity=1)
            episodes = [an_episode(ledger, world.program) for _ in range(32)]
            barrier = threading.Barrier(32)

            def place(
                episode: UUID, facility: UUID = facility, barrier: threading.Barrier = barrier
            ) -> CommandResult:
                barrier.wait()
                return ledger.start_placement(
                    CASEWORKER, episode, facility_id=facility, occurred_on=MARCH
                )

            results = [outcome(f) for f in [pool.submit(place, e) for e in episodes]]
            placed = [r for r in results if isinstance(r, CommandResult)]
            refused = [r for r in results if not isinstance(r, CommandResult)]
            assert len(placed) == 1, (round_, refused)
            assert all(isinstance(r, BedUnavailableError) for r in refused), refused
            stays = ledger.load(Facility, facility).stays
            assert list(stays) == [placed[0].id.hex]


def test_a_value_the_database_refuses_fails_only_its_own_command(
    ledger: Ledger, postgres_schema_url: str
) -> None:
    world = a_world(ledger)
    episodes = [an_episode(ledger, world.program) for _ in range(4)]
    broken = StoredEvent(uuid4(), 1, "ledger:Broken\x00", b"{}")  # text may not hold NUL

    with ThreadPoolExecutor(8) as pool, event_table_locked(postgres_schema_url):
        leader = pool.submit(service, ledger, episodes[0])
        time.sleep(0.2)
        good = [pool.submit(service, ledger, e) for e in episodes[1:]]
        bad = pool.submit(writes_of(ledger).committer.write, [broken])
        wait_until(lambda: writes_of(ledger).committer.depth == 4)

    for future in [leader, *good]:
        assert isinstance(future.result(timeout=30), CommandResult)
    with pytest.raises(Exception, match=r"NUL|0x00"):  # refused by psycopg or by the server
        bad.result(timeout=30)
    assert not ledger.recorder.select_events(broken.originator_id)


def test_a_full_queue_refuses_at_once_and_writes_nothing_of_the_refused_command(
    ledger: Ledger, postgres_schema_url: str
) -> None:
    world = a_world(ledger)
    episodes = [an_episode(ledger, world.program) for _ in range(4)]
    writes_of(ledger).committer.max_waiting = 2
    versions = {e: ledger.load(Episode, e).version for e in episodes}

    with ThreadPoolExecutor(8) as pool, event_table_locked(postgres_schema_url):
        leader = pool.submit(service, ledger, episodes[0])
        time.sleep(0.2)
        queued = [pool.submit(service, ledger, e) for e in episodes[1:3]]
        wait_until(lambda: writes_of(ledger).committer.depth == 2)
        with pytest.raises(OverloadedError):
            service(ledger, episodes[3])

    for future in [leader, *queued]:
        assert isinstance(future.result(timeout=30), CommandResult)
    assert ledger.load(Episode, episodes[3]).version == versions[episodes[3]]


def test_closing_drains_the_waiting_commands_and_refuses_new_ones(
    ledger: Ledger, postgres_schema_url: str
) -> None:
    world = a_world(ledger)
    episodes = [an_episode(ledger, world.program) for _ in range(5)]

    with ThreadPoolExecutor(8) as pool:
        with event_table_locked(postgres_schema_url):
            futures = [pool.submit(service, ledger, episodes[0])]
            time.sleep(0.2)
            futures += [pool.submit(service, ledger, e) for e in episodes[1:]]
            wait_until(lambda: writes_of(ledger).committer.depth == 4)
            closing = pool.submit(writes_of(ledger).committer.close)
            time.sleep(0.1)
            assert not closing.done()
        closing.result(timeout=30)
        results = [f.result(timeout=30) for f in futures]

    assert all(isinstance(r, CommandResult) for r in results)
    with pytest.raises(OverloadedError):
        service(ledger, episodes[0])


KILLED_WRITER = """
import threading
from datetime import date
from api.settings import Settings
from api.bootstrap import ledger_for
from domain.commands import Decision
from domain.episode import Episode
from tests.integration.locks import event_table_locked, wait_until
from tests.integration.scenario import CASEWORKER, a_world, an_episode

ledger = ledger_for(Settings())
world = a_world(ledger)
episodes = [an_episode(ledger, world.program) for _ in range(16)]
print(ledger.recorder.max_notification_id(), flush=True)

def five_services(episode_id):
    def decide(today):
        episode = ledger.load(Episode, episode_id, saved_again=True)
        for _ in range(5):
            episode.deliver_service(
                "home_care", 1, "Bredy", date(2024, 3, 1), CASEWORKER.actor, today
            )
        return Decision(episode_id, episode.version, (episode,))
    return decide

def run(episode_id):
    while True:
        ledger.execute(CASEWORKER, "five_services", {}, five_services(episode_id))

for episode_id in episodes:
    threading.Thread(target=run, args=(episode_id,), daemon=True).start()
threading.Event().wait()
"""


def test_a_writer_killed_mid_run_leaves_only_whole_commands(
    ledger: Ledger, postgres_schema_url: str, tmp_path: Path
) -> None:
    writer = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER],
        env=process_env(postgres_schema_url, tmp_path),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    head = int(writer.stdout.readline())
    time.sleep(1.5)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(10)

    written = ledger.recorder.select_notifications(head + 1, 1_000_000)
    assert len(written) >= 5 * 50, "too few commands ran to test anything"
    runs: list[list[Any]] = []
    for notification in written:  # consecutive events of one episode: one or more commands
        if runs and runs[-1][0].originator_id == notification.originator_id:
            runs[-1].append(notification)
        else:
            runs.append([notification])
    assert all(len(run) % 5 == 0 for run in runs), [len(run) for run in runs]
    assert {n.topic for n in written} == {"ledger:Episode.ServiceDelivered"}
