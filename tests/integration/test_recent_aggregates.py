"""A process decides on what it saved last; writes by another process are never overlooked."""

from __future__ import annotations

import pytest

from domain.base import DomainError
from domain.commands import Context, StaleVersionError
from domain.episode import Episode
from domain.facility import BedUnavailableError, Facility
from domain.participant import Participant
from domain.personal_data import PersonalData, personal_data_id_for
from tests.conftest_stores import LedgerFactory
from tests.integration.machinery import writes_of
from tests.integration.scenario import CASEWORKER, MARCH, a_facility, a_world, an_episode


def test_a_bed_another_process_took_is_not_given_twice(new_ledger: LedgerFactory) -> None:
    here, elsewhere = new_ledger(), new_ledger()
    world = a_world(here)
    facility = a_facility(here, capacity=1)  # saved here, so remembered here as free
    first, second = an_episode(here, world.program), an_episode(here, world.program)

    elsewhere.start_placement(CASEWORKER, first, facility_id=facility, occurred_on=MARCH)

    with pytest.raises(BedUnavailableError):
        here.start_placement(CASEWORKER, second, facility_id=facility, occurred_on=MARCH)
    assert len(here.load(Facility, facility).stays) == 1
    assert here.load(Episode, second).tracks == {}


def test_a_bed_another_process_freed_can_be_taken_here(new_ledger: LedgerFactory) -> None:
    here, elsewhere = new_ledger(), new_ledger()
    world = a_world(here)
    facility = a_facility(here, capacity=1)
    first, second = an_episode(here, world.program), an_episode(here, world.program)
    placement = here.start_placement(CASEWORKER, first, facility_id=facility, occurred_on=MARCH)

    elsewhere.end_placement(
        CASEWORKER, first, placement.id, destination="own_home", occurred_on=MARCH
    )

    # Remembered here as full; refused on that, the command is decided again on the store.
    taken = here.start_placement(CASEWORKER, second, facility_id=facility, occurred_on=MARCH)
    stays = here.load(Facility, facility).stays
    assert [key for key, stay in stays.items() if stay["end"] is None] == [taken.id.hex]


def test_a_version_answered_by_another_process_is_accepted_here(
    new_ledger: LedgerFactory,
) -> None:
    here, elsewhere = new_ledger(), new_ledger()
    world = a_world(here)
    service = {"kind": "home_care", "quantity": 1, "settlement": "Bredy", "occurred_on": MARCH}
    here.deliver_service(CASEWORKER, world.episode, **service)
    answered = elsewhere.deliver_service(CASEWORKER, world.episode, **service)

    pinned = Context(CASEWORKER.actor, expected_version=answered.version)
    result = here.deliver_service(pinned, world.episode, **service)

    assert result.version == answered.version + 1
    assert here.load(Episode, world.episode).entry_count == 3


def test_personal_data_is_not_kept_in_memory_after_its_command(
    new_ledger: LedgerFactory,
) -> None:
    ledger = new_ledger()
    world = a_world(ledger)

    assert writes_of(ledger).recent.peek(world.participant) is not None
    assert writes_of(ledger).recent.peek(personal_data_id_for(world.participant)) is None


def test_personal_data_read_is_not_left_in_the_librarys_cache(new_ledger: LedgerFactory) -> None:
    ledger = new_ledger()
    world = a_world(ledger)
    data_id = personal_data_id_for(world.participant)

    ledger.load(PersonalData, data_id)
    ledger.load(Participant, world.participant)

    cache = ledger.repository.cache
    assert cache is not None
    assert cache.get(world.participant) is not None  # what is not personal stays cached
    with pytest.raises(KeyError):
        cache.get(data_id)


def test_refused_commands_leave_the_episode_remembered_as_it_was_saved(
    new_ledger: LedgerFactory,
) -> None:
    here = new_ledger()
    world = a_world(here)
    service = {"kind": "home_care", "quantity": 1, "settlement": "Bredy", "occurred_on": MARCH}
    first = here.deliver_service(CASEWORKER, world.episode, **service)
    entries = here.load(Episode, world.episode).entry_count

    stale = Context(CASEWORKER.actor, expected_version=first.version - 1)
    with pytest.raises(StaleVersionError):
        here.deliver_service(stale, world.episode, **service)
    with pytest.raises(DomainError):
        here.deliver_service(CASEWORKER, world.episode, **{**service, "quantity": 0})
    after = here.deliver_service(CASEWORKER, world.episode, **service)

    assert after.version == first.version + 1
    kept = writes_of(here).recent.peek(world.episode)
    assert kept is not None
    assert kept.version == after.version
    assert here.load(Episode, world.episode).entry_count == entries + 1
    assert new_ledger().load(Episode, world.episode).entry_count == entries + 1
