"""Commands run on an event loop (as the API runs them) on PostgreSQL: they share groups with
each other, fail alone, pause without holding the loop up, and keep their own deciding state."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Iterator
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from api.bootstrap import ledger_for
from api.on_loop import run_on_loop
from domain.base import DomainError
from domain.commands import CommandResult, Context
from domain.episode import Episode
from domain.facility import Facility
from domain.ledger import Ledger
from store.committer import OverloadedError
from tests.conftest_stores import TODAY, settings_for
from tests.integration.locks import event_table_locked
from tests.integration.machinery import writes_of
from tests.integration.scenario import CASEWORKER, MARCH, a_facility, a_world, an_episode
from tests.integration.stale_group import a_stale_group


@pytest.fixture
def new_ledger(postgres_schema_url: str, tmp_path: Path) -> Iterator[Callable[[], Ledger]]:
    opened: list[Ledger] = []

    def build() -> Ledger:
        opened.append(ledger_for(settings_for(postgres_schema_url, tmp_path), clock=lambda: TODAY))
        return opened[-1]

    yield build
    for ledger in opened:
        ledger.close()


def service(ledger: Ledger, episode: UUID, ctx: Context = CASEWORKER) -> CommandResult:
    return ledger.deliver_service(
        ctx, episode, kind="home_care", quantity=1, settlement="Bredy", occurred_on=MARCH
    )


def on_loop(call: Callable[..., Any], *args: Any) -> asyncio.Task[Any]:
    return asyncio.get_running_loop().create_task(run_on_loop(call, *args))


async def settled(tasks: list[asyncio.Task[Any]]) -> list[Any]:
    return list(await asyncio.gather(*tasks, return_exceptions=True))


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.005)


def run(main: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(main)


def test_commands_on_the_loop_share_a_group_a_stale_one_fails_alone_and_the_loop_goes_on(
    new_ledger: Callable[[], Ledger], postgres_schema_url: str
) -> None:
    ledger = new_ledger()
    case = a_stale_group(ledger)
    ticks = 0

    async def main() -> list[Any]:
        nonlocal ticks
        with event_table_locked(postgres_schema_url):
            leader = on_loop(service, ledger, case.alone)
            await asyncio.sleep(0.2)  # the leader now waits for the lock; the rest queue
            queued = [on_loop(service, ledger, e) for e in case.others]
            stale = [on_loop(service, ledger, case.world.episode, case.pinned) for _ in range(2)]
            await until(lambda: writes_of(ledger).committer.depth == 7)
            started = time.monotonic()
            while time.monotonic() - started < 0.1:  # the loop serves others meanwhile
                await asyncio.sleep(0.005)
                ticks += 1
        return await settled([leader, *queued, *stale])

    case.check(run(main()))
    assert ticks >= 10


def test_a_write_waiting_too_long_on_the_loop_is_refused_and_nothing_of_it_written(
    new_ledger: Callable[[], Ledger], postgres_schema_url: str
) -> None:
    ledger = new_ledger()
    world = a_world(ledger)
    first, second = an_episode(ledger, world.program), an_episode(ledger, world.program)
    writes_of(ledger).committer.max_wait_seconds = 0.3
    version = ledger.load(Episode, second).version

    async def main() -> list[Any]:
        with event_table_locked(postgres_schema_url):
            leading = on_loop(service, ledger, first)
            await asyncio.sleep(0.1)
            waiting = on_loop(service, ledger, second)
            await asyncio.sleep(0.6)  # longer than it may wait
            assert waiting.done()
        return await settled([leading, waiting])

    led, refused = run(main())

    assert isinstance(refused, OverloadedError)
    assert isinstance(led, CommandResult)
    assert writes_of(ledger).committer.depth == 0
    assert ledger.load(Episode, second).version == version


def test_each_command_on_the_loop_keeps_its_own_deciding_state_across_a_pause(
    new_ledger: Callable[[], Ledger],
) -> None:
    here, elsewhere = new_ledger(), new_ledger()
    world = a_world(here, capacity=2)
    other = a_facility(elsewhere, capacity=1)  # not saved here: read from the store
    placed = here.start_placement(
        CASEWORKER, world.episode, facility_id=world.facility, occurred_on=MARCH
    )
    # The bed is given back elsewhere: here the episode is remembered as still holding it.
    elsewhere.end_placement(
        CASEWORKER, world.episode, placed.id, destination="own_home", occurred_on=MARCH
    )
    bystander = an_episode(elsewhere, world.program)  # read from the store too

    async def main() -> list[Any]:
        # The placement decides on the remembered episode and pauses to read the facility;
        # meanwhile the bystander's command starts deciding, and pauses to read its episode.
        return await settled(
            [
                on_loop(
                    partial(here.start_placement, facility_id=other, occurred_on=MARCH),
                    CASEWORKER,
                    world.episode,
                ),
                on_loop(service, here, bystander),
            ]
        )

    placement, delivered = run(main())

    # Refused on the remembered episode (a bed held), it was decided again on the store's.
    assert not isinstance(placement, DomainError), placement
    assert isinstance(delivered, CommandResult)
    stays = here.load(Facility, other).stays
    assert list(stays) == [placement.id.hex]


def test_a_key_seen_before_is_answered_again_on_the_loop_from_the_store(
    new_ledger: Callable[[], Ledger],
) -> None:
    ledger = new_ledger()
    world = a_world(ledger)
    keyed = Context(CASEWORKER.actor, idempotency_key="sync-42")
    fresh = new_ledger()  # nothing saved in this one: every read goes to the store

    async def main() -> tuple[Any, Any]:
        first = await run_on_loop(service, fresh, world.episode, keyed)
        head = fresh.recorder.max_notification_id()
        again = await run_on_loop(service, fresh, world.episode, keyed)
        assert fresh.recorder.max_notification_id() == head
        return first, again

    first, again = run(main())

    assert not first.replayed
    assert again.replayed
    assert (again.id, again.version, again.position) == (first.id, first.version, first.position)
