"""Several read models behind one reader: each gets every event of its own exactly once."""

from __future__ import annotations

from typing import Any

from projections.caseloads import Caseloads
from projections.follower import Follower
from projections.model import ReadModel
from projections.rebuild import rebuild
from projections.services import Services
from tests.integration.scenario import a_world
from tests.projections.conftest import Stores
from tests.projections.test_tracking import SwitchedLate, deliver, total


def rows(model: ReadModel) -> dict[str, list[tuple[Any, ...]]]:
    with model.reading() as reading:
        return {
            table: sorted(reading.tx.execute(f"SELECT * FROM {reading.t(table)}"), key=repr)
            for table in model.TABLES
        }


def test_models_sharing_a_follower_hold_the_rows_of_models_followed_alone(stores: Stores) -> None:
    world = a_world(stores.ledger)
    deliver(stores, world.episode, 7)
    services, caseloads = Services(stores.read), Caseloads(stores.read)
    for model in (services, caseloads):
        model.create_tables()

    Follower(stores.ledger, services, caseloads, batch_size=3).catch_up()

    head = stores.ledger.recorder.max_notification_id()
    assert services.position() == caseloads.position() == head
    assert total(services, world.program) == 7
    alone = stores.project(Caseloads)  # the same tables: the projection has nothing left to do
    assert rows(alone) == rows(caseloads)
    assert sum(1 for row in rows(caseloads)["entries"] if row[2] == "service") == 7


def test_a_model_behind_the_others_catches_up_and_the_others_count_nothing_twice(
    stores: Stores,
) -> None:
    world = a_world(stores.ledger)
    deliver(stores, world.episode, 4)
    services = stores.project(Services)  # already at the head
    deliver(stores, world.episode, 2)
    caseloads = Caseloads(stores.read)  # new: at position 0
    caseloads.create_tables()

    follower = Follower(stores.ledger, services, caseloads, batch_size=2)
    follower.catch_up()

    head = stores.ledger.recorder.max_notification_id()
    assert [status.position for status in follower.statuses()] == [head, head]
    assert total(services, world.program) == 6
    assert sum(1 for row in rows(caseloads)["entries"] if row[2] == "service") == 6


def test_a_rebuild_switch_under_a_shared_follower_loses_and_repeats_nothing(
    stores: Stores,
) -> None:
    world = a_world(stores.ledger)
    deliver(stores, world.episode, 2)
    caseloads = Caseloads(stores.read)
    follower = Follower(stores.ledger, SwitchedLate(stores.read), caseloads)
    for model in follower.models:
        model.create_tables()
    follower.catch_up()
    SwitchedLate.late = True
    rebuild(stores.ledger, stores.read, Services)  # drops the tables the follower writes to
    deliver(stores, world.episode, 3)

    follower.catch_up()  # the first try fails on the dropped tables; every model starts afresh
    follower.catch_up()

    services, caseloads = follower.models  # type: ignore[assignment]
    assert services.generation == stores.read.generation("services")
    assert total(services, world.program) == 5  # type: ignore[arg-type]
    assert sum(1 for row in rows(caseloads)["entries"] if row[2] == "service") == 5
    head = stores.ledger.recorder.max_notification_id()
    assert [status.position for status in follower.statuses()] == [head, head]
