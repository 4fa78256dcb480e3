"""Exactly once: rows and position commit together, a position never goes back, rebuilds switch."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from eventsourcing.persistence import IntegrityError

from projections.follower import Follower
from projections.host import ProjectionHost
from projections.read_your_writes import ReadModelTimeoutError, wait_for
from projections.rebuild import rebuild
from projections.services import Services
from tests.integration.scenario import CASEWORKER, a_world
from tests.projections.conftest import Stores


def deliver(stores: Stores, episode: object, n: int = 1) -> int:
    for _ in range(n):
        result = stores.ledger.deliver_service(
            CASEWORKER,
            episode,
            kind="home_care",
            quantity=1,
            settlement="Bredy",  # type: ignore[arg-type]
            occurred_on=date(2024, 3, 1),
        )
    return result.position


def total(model: Services, program: object) -> int:
    with model.reading() as reading:
        return sum(r.services for r in model.report(reading, program))  # type: ignore[arg-type]


def test_a_replayed_position_is_refused_and_counts_stay_the_same(stores: Stores) -> None:
    world = a_world(stores.ledger)
    deliver(stores, world.episode, 3)
    services = stores.project(Services)
    reached = services.position()
    events = [
        (stores.ledger.mapper.to_domain_event(n), n.id)
        for n in stores.ledger.recorder.select_notifications(1, 1000, topics=Services.topics())
    ]

    def replay() -> None:  # a crash-restart that forgot where it was
        with services.store.transaction() as tx:
            services.process(tx, events)
            tx.track(services.tracking_name, reached)

    with pytest.raises(IntegrityError):
        replay()

    assert services.position() == reached
    assert total(services, world.program) == 3


def test_events_a_model_does_not_handle_still_advance_its_position(stores: Stores) -> None:
    world = a_world(stores.ledger)  # programs, facilities, participants: nothing for services
    services = stores.project(Services)
    assert services.position() == stores.ledger.recorder.max_notification_id()
    assert total(services, world.program) == 0


def test_a_query_waits_for_its_position_or_times_out_clearly(stores: Stores) -> None:
    world = a_world(stores.ledger)
    services = stores.project(Services)
    position = deliver(stores, world.episode)
    with pytest.raises(ReadModelTimeoutError, match="services has not reached"):
        wait_for(services, position, timeout=0.1)

    host = ProjectionHost([Follower(stores.ledger, Services(stores.read))], poll_interval=0.01)
    host.start()
    try:
        wait_for(services, position, timeout=5)
        assert total(services, world.program) == 1
        [status] = host.statuses()
        assert (status.position, status.lag) == (position, 0)
    finally:
        host.stop()
    assert not any(thread.is_alive() for thread in host.threads)


def test_a_rebuild_fills_a_new_generation_while_the_live_one_answers(stores: Stores) -> None:
    world = a_world(stores.ledger)
    deliver(stores, world.episode, 5)
    live = stores.project(Services)
    before = total(live, world.program)

    report = rebuild(stores.ledger, stores.read, Services, batch=2)

    assert report.generations == (live.generation + 1,)
    assert report.position == stores.ledger.recorder.max_notification_id()
    assert total(live, world.program) == before == 5  # queries follow the switch
    deliver(stores, world.episode, 2)
    follower = Follower(stores.ledger, live)  # the old follower notices the switch
    follower.catch_up()
    assert live.generation == report.generations[0]
    assert total(live, world.program) == 7


def test_a_follower_stops_between_batches_when_told(stores: Stores) -> None:
    world = a_world(stores.ledger)
    deliver(stores, world.episode, 20)
    services = Services(stores.read)
    services.create_tables()
    stop = threading.Event()
    follower = Follower(stores.ledger, services, batch_size=5)
    follower.catch_up_once()
    stop.set()
    assert follower.catch_up(stop) == 0
    assert 0 < services.position() < stores.ledger.recorder.max_notification_id()  # type: ignore[operator]


class SwitchedLate(Services):
    """Services that miss the first look at a switch: as if a rebuild switched right after it."""

    late = True

    def follow_switch(self, live: int | None = None) -> None:
        if SwitchedLate.late:
            SwitchedLate.late = False
            return
        super().follow_switch(live)


def test_a_follower_overtaken_by_a_rebuild_switch_follows_it_and_loses_nothing(
    stores: Stores,
) -> None:
    world = a_world(stores.ledger)
    deliver(stores, world.episode, 2)
    follower = Follower(stores.ledger, SwitchedLate(stores.read))
    follower.models[0].create_tables()
    follower.catch_up()
    SwitchedLate.late = True
    rebuild(stores.ledger, stores.read, Services)  # drops the tables the follower writes to
    deliver(stores, world.episode, 3)

    follower.catch_up()  # first try fails on the dropped tables and moves to the new generation
    follower.catch_up()

    assert follower.models[0].generation == stores.read.generation("services")
    assert follower.models[0].position() == stores.ledger.recorder.max_notification_id()
    assert total(follower.models[0], world.program) == 5  # type: ignore[arg-type]
