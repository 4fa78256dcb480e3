from datetime import date
from uuid import UUID

from domain.episode import Episode
from domain.participant import Participant
from domain.tracks import entry_id
from projections.services import Services
from tests.conftest_stores import TODAY
from tests.integration.scenario import CASEWORKER, a_world, an_episode
from tests.projections.conftest import Stores


def deliver(
    stores: Stores, episode: object, kind: str, settlement: str, on: date, quantity: int = 1
) -> int:
    result = stores.ledger.deliver_service(
        CASEWORKER,
        episode,
        kind=kind,
        quantity=quantity,
        settlement=settlement,
        occurred_on=on,  # type: ignore[arg-type]
    )
    return result.version


def test_services_are_counted_per_kind_settlement_and_month(stores: Stores) -> None:
    world = a_world(stores.ledger)
    deliver(stores, world.episode, "home_care", "Bredy", date(2024, 3, 2), quantity=2)
    deliver(stores, world.episode, "home_care", "Bredy", date(2024, 3, 30))
    deliver(stores, world.episode, "transport", "Bredy", date(2024, 3, 5))
    deliver(stores, world.episode, "home_care", "Kizilskoe", date(2024, 4, 1), quantity=5)

    services = stores.project(Services)
    with services.reading() as reading:
        rows = services.report(reading, world.program)
        by_kind = services.report(reading, world.program, by=("kind",))
        by_staff = services.report(reading, world.program, by=("staff",))

    assert [(r.dimensions, r.services, r.quantity) for r in rows] == [
        ({"kind": "home_care", "settlement": "Bredy", "month": "2024-03"}, 2, 3),
        ({"kind": "home_care", "settlement": "Kizilskoe", "month": "2024-04"}, 1, 5),
        ({"kind": "transport", "settlement": "Bredy", "month": "2024-03"}, 1, 1),
    ]
    assert [(r.dimensions["kind"], r.services, r.quantity) for r in by_kind] == [
        ("home_care", 3, 8),
        ("transport", 1, 1),
    ]
    assert [(r.dimensions, r.services) for r in by_staff] == [({"staff": "cw-7"}, 4)]


def test_a_voided_service_leaves_the_counts(stores: Stores) -> None:
    world = a_world(stores.ledger)
    deliver(stores, world.episode, "home_care", "Bredy", date(2024, 3, 2))
    version = deliver(stores, world.episode, "home_care", "Bredy", date(2024, 3, 3), quantity=4)
    services = stores.project(Services)
    stores.ledger.void_entry(
        CASEWORKER, world.episode, entry_id(world.episode, version), reason="duplicate"
    )
    stores.project(Services)  # catches up with the voiding only

    with services.reading() as reading:
        [row] = services.report(reading, world.program)
        voided_day = services.report(reading, world.program, date(2024, 3, 3), date(2024, 3, 3))
    assert (row.services, row.quantity) == (1, 1)
    assert voided_day == []


def test_a_back_dated_service_lands_in_the_month_it_happened(stores: Stores) -> None:
    world = a_world(stores.ledger)
    deliver(stores, world.episode, "mobile_doctor_visit", "Bredy", date(2024, 5, 20))
    services = stores.project(Services)
    deliver(stores, world.episode, "mobile_doctor_visit", "Bredy", date(2024, 3, 9))  # entered late
    stores.project(Services)

    with services.reading() as reading:
        march = services.report(reading, world.program, date(2024, 3, 1), date(2024, 3, 31))
        may = services.report(reading, world.program, date(2024, 5, 1), date(2024, 5, 31))
        mid_may = services.report(reading, world.program, date(2024, 5, 21), date(2024, 5, 31))
    assert [r.services for r in march] == [1]
    assert [r.services for r in may] == [1]
    assert mid_may == []


def link(stores: Stores, first: UUID, second: UUID, undo: bool = False) -> None:
    """Two records found to be one person: each states the link, saved at once (as the command
    that links them does)."""
    one, other = stores.ledger.load(Participant, first), stores.ledger.load(Participant, second)
    act = "unlink" if undo else "link"
    getattr(one, act)(second, "same person", CASEWORKER.actor, TODAY)
    getattr(other, act)(first, "same person", CASEWORKER.actor, TODAY)
    stores.ledger.save(one, other)


def test_people_are_counted_once_over_the_period_not_once_a_month(stores: Stores) -> None:
    world = a_world(stores.ledger)
    second = an_episode(stores.ledger, world.program)
    for day in (date(2024, 3, 2), date(2024, 3, 9), date(2024, 4, 1)):
        deliver(stores, world.episode, "home_care", "Bredy", day)
    deliver(stores, second, "home_care", "Bredy", date(2024, 4, 2))
    deliver(stores, second, "transport", "Bredy", date(2024, 4, 2))

    services = stores.project(Services)
    with services.reading() as reading:
        monthly = services.report(reading, world.program)
        by_kind = services.report(reading, world.program, by=("kind",))
        spring = services.report(reading, world.program, date(2024, 3, 1), date(2024, 4, 30), ())

    assert [(r.dimensions["month"], r.dimensions["kind"], r.people) for r in monthly] == [
        ("2024-03", "home_care", 1),
        ("2024-04", "home_care", 2),
        ("2024-04", "transport", 1),
    ]
    # Home care: one person in March and two in April are two people in all, not three.
    assert [(r.dimensions, r.services, r.people) for r in by_kind] == [
        ({"kind": "home_care"}, 4, 2),
        ({"kind": "transport"}, 1, 1),
    ]
    assert [(r.services, r.people) for r in spring] == [(5, 2)]


def test_records_linked_as_one_person_are_counted_once_until_unlinked(stores: Stores) -> None:
    world = a_world(stores.ledger)
    twice = an_episode(stores.ledger, world.program)
    third = an_episode(stores.ledger, world.program)
    records = [stores.ledger.load(Episode, e).participant_id for e in (world.episode, twice, third)]
    for episode in (world.episode, twice, third):
        deliver(stores, episode, "home_care", "Bredy", date(2024, 3, 2))
    link(stores, records[0], records[1])
    link(stores, records[1], records[2])  # linked through the second: all three are one

    services = stores.project(Services)
    with services.reading() as reading:
        [linked] = services.report(reading, world.program, by=("kind",))
    link(stores, records[1], records[2], undo=True)
    stores.project(Services)
    with services.reading() as reading:
        [unlinked] = services.report(reading, world.program, by=("kind",))

    assert (linked.services, linked.people) == (3, 1)
    assert (unlinked.services, unlinked.people) == (3, 2)
