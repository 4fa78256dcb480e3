from datetime import date

from projections.occupancy import Occupancy
from tests.integration.scenario import CASEWORKER, a_world, an_episode
from tests.projections.conftest import Stores


def test_occupancy_shows_capacity_residents_and_who_holds_which_bed(stores: Stores) -> None:
    world = a_world(stores.ledger, capacity=2)
    second = an_episode(stores.ledger, world.program)
    first_stay = stores.ledger.start_placement(
        CASEWORKER, world.episode, facility_id=world.facility, occurred_on=date(2024, 3, 1)
    ).id
    stores.ledger.start_placement(
        CASEWORKER, second, facility_id=world.facility, occurred_on=date(2024, 3, 5)
    )
    stores.ledger.end_placement(
        CASEWORKER,
        world.episode,
        first_stay,
        destination="training_apartment",
        occurred_on=date(2024, 3, 10),
    )

    occupancy = stores.project(Occupancy)
    with occupancy.reading() as reading:
        [march_6] = occupancy.on(reading, date(2024, 3, 6))
        [march_10] = occupancy.on(reading, date(2024, 3, 10), world.facility)
        month = occupancy.period(
            reading, world.facility, date(2024, 3, 1), date(2024, 3, 31), today=date(2024, 6, 1)
        )

    assert (march_6.capacity, march_6.residents, march_6.free_beds) == (2, 2, 0)
    assert [(b.bed, b.episode_id) for b in march_6.beds] == [
        (1, str(world.episode)),
        (2, str(second)),
    ]
    assert [b.episode_id for b in march_10.beds] == [str(second)]
    # First stay: nights of Mar 1..9 = 9; second: Mar 5..31 = 27.
    assert (month.bed_nights, month.capacity_nights) == (36, 62)
    assert month.utilisation == round(36 / 62, 4)


def test_a_capacity_change_applies_from_its_date(stores: Stores) -> None:
    world = a_world(stores.ledger, capacity=2)
    stores.ledger.change_capacity(
        CASEWORKER, world.facility, capacity=5, reason="new wing", occurred_on=date(2024, 4, 1)
    )
    occupancy = stores.project(Occupancy)
    with occupancy.reading() as reading:
        period = occupancy.period(
            reading, world.facility, date(2024, 3, 31), date(2024, 4, 1), today=date(2024, 6, 1)
        )
    assert [d.capacity for d in period.days] == [2, 5]
    assert [d.free_beds for d in period.days] == [2, 5]


def test_a_period_counts_no_nights_after_today(stores: Stores) -> None:
    world = a_world(stores.ledger, capacity=2)
    stores.ledger.start_placement(
        CASEWORKER, world.episode, facility_id=world.facility, occurred_on=date(2024, 5, 30)
    )
    occupancy = stores.project(Occupancy)
    with occupancy.reading() as reading:
        may_june = occupancy.period(
            reading, world.facility, date(2024, 5, 1), date(2024, 6, 30), today=date(2024, 6, 1)
        )
        to_come = occupancy.period(
            reading, world.facility, date(2024, 7, 1), date(2024, 7, 31), today=date(2024, 6, 1)
        )

    # Nights of May 30, 31 and June 1 (today): not the 29 nights of June still to come.
    assert (may_june.counted_to, may_june.bed_nights) == (date(2024, 6, 1), 3)
    assert may_june.capacity_nights == 2 * 32
    assert may_june.utilisation == round(3 / 64, 4)
    assert [d.day for d in may_june.days][-1] == date(2024, 6, 1)
    assert (to_come.counted_to, to_come.bed_nights, to_come.capacity_nights) == (None, 0, 0)
    assert (to_come.utilisation, to_come.days) == (0.0, [])
