"""Writers racing on one aggregate, on both stores: a command that loses a race without If-Match
is decided again until it succeeds or breaks a rule; with If-Match it is refused at once."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from api.on_loop import run_on_loop
from domain.base import DomainError
from domain.commands import (
    CommandResult,
    ConcurrentWriteError,
    Context,
    Decision,
    StaleVersionError,
)
from domain.episode import Episode
from domain.facility import Facility
from domain.ledger import Ledger
from store import cooperative
from tests.conftest_stores import LedgerFactory
from tests.integration.scenario import CASEWORKER, MARCH, a_facility, a_world, an_episode


def tagged_service(ledger: Ledger, episode: UUID, tag: str, ctx: Context = CASEWORKER) -> Any:
    """One service whose settlement names the command, so its event can be found again."""
    try:
        return ledger.deliver_service(
            ctx, episode, kind="home_care", quantity=1, settlement=tag, occurred_on=MARCH
        )
    except DomainError as error:
        return error


def settlements(ledger: Ledger, episode: UUID) -> Counter[str]:
    """How often each settlement occurs among the episode's stored service events."""
    return Counter(
        e.settlement for e in ledger.events.get(episode) if type(e).__name__ == "ServiceDelivered"
    )


def check_each_written_once(ledger: Ledger, episode: UUID, answers: dict[str, Any]) -> None:
    refused = {tag: a for tag, a in answers.items() if not isinstance(a, CommandResult)}
    assert refused == {}
    assert settlements(ledger, episode) == Counter(list(answers))
    versions = [a.version for a in answers.values()]
    assert len(set(versions)) == len(versions)  # each answered with its own version


@pytest.mark.parametrize(("writers", "each"), [(2, 300), (8, 200)])
def test_writers_racing_on_one_episode_without_if_match_all_succeed_each_event_once(
    ledger: Ledger, writers: int, each: int
) -> None:
    world = a_world(ledger)
    answers: dict[str, Any] = {}
    barrier = threading.Barrier(writers)

    def write(writer: int) -> None:
        barrier.wait()
        for n in range(each):
            tag = f"w{writer}-{n}"
            answers[tag] = tagged_service(ledger, world.episode, tag)

    with ThreadPoolExecutor(writers) as pool:
        for done in [pool.submit(write, w) for w in range(writers)]:
            done.result()

    assert len(answers) == writers * each
    check_each_written_once(ledger, world.episode, answers)


def test_racers_on_the_loop_without_if_match_all_succeed_each_event_once(
    ledger: Ledger,
) -> None:
    world = a_world(ledger)
    writers, each = 8, 60

    async def write(writer: int) -> dict[str, Any]:
        answers = {}
        for n in range(each):
            tag = f"w{writer}-{n}"
            answers[tag] = await run_on_loop(tagged_service, ledger, world.episode, tag)
        return answers

    async def main() -> dict[str, Any]:
        parts = await asyncio.gather(*[write(w) for w in range(writers)])
        return {tag: answer for part in parts for tag, answer in part.items()}

    answers = asyncio.run(main())

    assert len(answers) == writers * each
    check_each_written_once(ledger, world.episode, answers)


@pytest.mark.parametrize(("beds", "racers"), [(4, 16), (8, 32)])
def test_racers_for_several_free_beds_each_get_a_bed_or_hear_none_is_free(
    ledger: Ledger, beds: int, racers: int
) -> None:
    world = a_world(ledger)
    with ThreadPoolExecutor(racers) as pool:
        for _ in range(3):
            facility = a_facility(ledger, capacity=beds)
            episodes = [an_episode(ledger, world.program) for _ in range(racers)]
            barrier = threading.Barrier(racers)

            def place(
                episode: UUID, facility: UUID = facility, barrier: threading.Barrier = barrier
            ) -> Any:
                barrier.wait()
                try:
                    return ledger.start_placement(
                        CASEWORKER, episode, facility_id=facility, occurred_on=MARCH
                    )
                except DomainError as error:
                    return error

            results = list(pool.map(place, episodes))

            placed = [r for r in results if isinstance(r, CommandResult)]
            refused = [r for r in results if not isinstance(r, CommandResult)]
            assert [type(r).__name__ for r in refused] == ["BedUnavailableError"] * (racers - beds)
            stays = ledger.load(Facility, facility).stays
            assert sorted(stays) == sorted(r.id.hex for r in placed)
            assert len(stays) == beds


class Interloper:
    """Another process's writer that changes the episode between each decision and its save,
    every time: the smallest real way to make a racing command lose every attempt."""

    def __init__(self, other: Ledger, episode: UUID) -> None:
        self.other, self.episode, self.writes = other, episode, 0
        self._thread = ThreadPoolExecutor(1)  # its own thread: its own command state

    def write(self) -> None:
        self._thread.submit(
            self.other.deliver_service,
            CASEWORKER,
            self.episode,
            kind="transport",
            quantity=1,
            settlement="elsewhere",
            occurred_on=MARCH,
        ).result()
        self.writes += 1

    def racing_decide(self, ledger: Ledger, ctx: Context) -> Callable[[date], Decision]:
        """A service decided on the episode as loaded, with the interloper's write in between."""

        def decide(today: date) -> Decision:
            episode = ledger.load(Episode, self.episode, ctx.expected_version, saved_again=True)
            cooperative.blocking(self.write)  # on the loop: paused for, in a read thread
            episode.deliver_service("home_care", 1, "racer", MARCH, ctx.actor, today)
            return Decision(self.episode, episode.version, (episode,))

        return decide


def test_a_command_pinned_to_a_version_is_refused_at_once_when_another_writes_first(
    new_ledger: LedgerFactory,
) -> None:
    ledger = new_ledger()
    world = a_world(ledger)
    interloper = Interloper(new_ledger(), world.episode)
    pinned = Context(CASEWORKER.actor, expected_version=ledger.load(Episode, world.episode).version)

    with pytest.raises(StaleVersionError):
        ledger.execute(pinned, "racer", {}, interloper.racing_decide(ledger, pinned))

    assert interloper.writes == 1  # decided once: no second try
    assert settlements(ledger, world.episode) == Counter({"elsewhere": 1})


def test_a_race_that_cannot_converge_ends_in_concurrent_write_after_the_bound_nothing_written(
    new_ledger: LedgerFactory,
) -> None:
    ledger = new_ledger()
    ledger.writes.retry_seconds = 0.5
    world = a_world(ledger)
    interloper = Interloper(new_ledger(), world.episode)
    started = time.monotonic()

    with pytest.raises(ConcurrentWriteError) as refused:
        ledger.execute(CASEWORKER, "racer", {}, interloper.racing_decide(ledger, CASEWORKER))

    assert 0.3 <= time.monotonic() - started < 2.0
    assert interloper.writes > 3  # decided again and again, not three times and given up
    assert refused.value.retry_after >= 1
    assert settlements(ledger, world.episode) == Counter({"elsewhere": interloper.writes})
    # Nothing of it left behind in memory either: the next command decides on the store's state.
    after = tagged_service(ledger, world.episode, "after")
    assert isinstance(after, CommandResult)
    assert after.version == ledger.load(Episode, world.episode).version


def test_a_command_on_the_loop_that_keeps_losing_never_holds_the_loop_up(
    new_ledger: LedgerFactory,
) -> None:
    ledger = new_ledger()
    ledger.writes.retry_seconds = 0.5
    world = a_world(ledger)
    interloper = Interloper(new_ledger(), world.episode)
    ticks = 0

    async def ticking() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    async def main() -> Any:
        ticker = asyncio.get_running_loop().create_task(ticking())
        try:
            decide = interloper.racing_decide(ledger, CASEWORKER)
            return await run_on_loop(ledger.execute, CASEWORKER, "racer", {}, decide)
        except DomainError as error:
            return error
        finally:
            ticker.cancel()

    started = time.monotonic()
    refused = asyncio.run(main())
    took = time.monotonic() - started

    assert isinstance(refused, ConcurrentWriteError)
    assert interloper.writes > 3
    # The loop went on while the command waited between its attempts: it ticked most of the time.
    assert ticks * 0.005 > took / 2, (ticks, took)
    assert settlements(ledger, world.episode) == Counter({"elsewhere": interloper.writes})
