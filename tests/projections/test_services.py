from datetime import date

from domain.tracks import entry_id
from projections.services import Services
from tests.integration.scenario import CASEWORKER, a_world
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
