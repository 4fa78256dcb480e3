from datetime import date
from uuid import uuid4

import pytest

from domain.base import DateOrderError, FutureDateError, InvalidValueError, NotFoundError
from domain.facility import (
    AlreadyPlacedError,
    BedUnavailableError,
    CapacityBelowResidentsError,
    Facility,
)
from tests.domain.given import ADMIN, CASEWORKER, TODAY, a_facility, then_events, then_refused


def place(facility: Facility, on: date, participant: object = None) -> tuple[object, int]:
    placement = uuid4()
    bed = facility.assign_bed(
        placement_id=placement,
        participant_id=participant or uuid4(),  # type: ignore[arg-type]
        episode_id=uuid4(),
        occurred_on=on,
        by=CASEWORKER,
        today=TODAY,
    )
    facility.collect_events()
    return placement, bed


def release(facility: Facility, placement: object, on: date) -> None:
    facility.release_bed(placement, on, CASEWORKER, TODAY)  # type: ignore[arg-type]
    facility.collect_events()


def test_assigning_a_bed_takes_the_lowest_free_bed() -> None:
    facility = a_facility(capacity=2)
    _first, bed_one = place(facility, date(2024, 3, 1))
    placement, participant = uuid4(), uuid4()
    [assigned] = then_events(
        facility,
        lambda: facility.assign_bed(
            placement_id=placement,
            participant_id=participant,
            episode_id=uuid4(),
            occurred_on=date(2024, 3, 2),
            by=CASEWORKER,
            today=TODAY,
        ),
    )
    assert bed_one == 1
    assert isinstance(assigned, Facility.BedAssigned)
    assert (assigned.bed, assigned.participant_id, assigned.occurred_on) == (
        2,
        participant,
        date(2024, 3, 2),
    )
    assert len(facility.residents_on(date(2024, 3, 2))) == 2


def test_no_bed_is_given_when_every_bed_is_taken() -> None:
    facility = a_facility(capacity=1)
    place(facility, date(2024, 3, 1))
    then_refused(BedUnavailableError, facility, lambda: place(facility, date(2024, 3, 5)))


def test_a_released_bed_can_be_given_again_from_the_day_it_was_left() -> None:
    facility = a_facility(capacity=1)
    placement, _ = place(facility, date(2024, 3, 1))
    release(facility, placement, date(2024, 3, 10))
    then_refused(BedUnavailableError, facility, lambda: place(facility, date(2024, 3, 9)))
    _, bed = place(facility, date(2024, 3, 10))
    assert bed == 1


def test_a_back_dated_placement_cannot_overfill_a_day_already_full_later() -> None:
    facility = a_facility(capacity=1)
    placement, _ = place(facility, date(2024, 3, 1))
    release(facility, placement, date(2024, 3, 10))
    place(facility, date(2024, 4, 1))
    # Free from Mar 10 to Apr 1, but an open-ended stay from Mar 20 would collide on Apr 1.
    then_refused(BedUnavailableError, facility, lambda: place(facility, date(2024, 3, 20)))


def test_one_person_holds_one_bed_at_a_time() -> None:
    facility = a_facility(capacity=3)
    person = uuid4()
    place(facility, date(2024, 3, 1), participant=person)
    then_refused(
        AlreadyPlacedError, facility, lambda: place(facility, date(2024, 3, 2), participant=person)
    )


def test_releasing_a_bed_records_the_day_it_was_left() -> None:
    facility = a_facility()
    placement, _ = place(facility, date(2024, 3, 1))
    [released] = then_events(
        facility,
        lambda: facility.release_bed(placement, date(2024, 3, 4), CASEWORKER, TODAY),  # type: ignore[arg-type]
    )
    assert isinstance(released, Facility.BedReleased)
    assert facility.residents_on(date(2024, 3, 3)) != []
    assert facility.residents_on(date(2024, 3, 4)) == []


@pytest.mark.parametrize(
    ("left_on", "error"),
    [(date(2024, 2, 28), DateOrderError), (date(2024, 6, 3), FutureDateError)],
)
def test_a_bed_is_released_after_it_was_taken_and_not_in_the_future(
    left_on: date, error: type[Exception]
) -> None:
    facility = a_facility()
    placement, _ = place(facility, date(2024, 3, 1))
    then_refused(
        error,  # type: ignore[arg-type]
        facility,
        lambda: facility.release_bed(placement, left_on, CASEWORKER, TODAY),  # type: ignore[arg-type]
    )


def test_an_unknown_or_released_stay_cannot_be_released() -> None:
    facility = a_facility()
    then_refused(
        NotFoundError, facility, lambda: facility.release_bed(uuid4(), TODAY, CASEWORKER, TODAY)
    )
    placement, _ = place(facility, date(2024, 3, 1))
    release(facility, placement, date(2024, 3, 2))
    then_refused(
        DateOrderError,
        facility,
        lambda: facility.release_bed(placement, date(2024, 3, 3), CASEWORKER, TODAY),  # type: ignore[arg-type]
    )


def test_capacity_cannot_drop_below_the_residents_from_then_on() -> None:
    facility = a_facility(capacity=3)
    place(facility, date(2024, 3, 1))
    place(facility, date(2024, 3, 2))
    then_refused(
        CapacityBelowResidentsError,
        facility,
        lambda: facility.change_capacity(1, "repairs", date(2024, 3, 5), ADMIN, TODAY),
    )
    [changed] = then_events(
        facility, lambda: facility.change_capacity(2, "repairs", date(2024, 3, 5), ADMIN, TODAY)
    )
    assert isinstance(changed, Facility.CapacityChanged)
    assert facility.capacity_on(date(2024, 3, 4)) == 3
    assert facility.capacity_on(date(2024, 3, 5)) == 2
    then_refused(BedUnavailableError, facility, lambda: place(facility, date(2024, 3, 6)))


def test_a_facility_needs_a_name_and_a_non_negative_capacity() -> None:
    with pytest.raises(InvalidValueError):
        Facility.register(
            kind="shelter",
            name="Shelter",
            settlement="Miass",
            capacity=-1,
            occurred_on=TODAY,
            by=ADMIN,
            today=TODAY,
        )
    with pytest.raises(InvalidValueError, match="castle"):
        Facility.register(
            kind="castle",
            name="Castle",
            settlement="Miass",
            capacity=1,
            occurred_on=TODAY,
            by=ADMIN,
            today=TODAY,
        )
