"""The Ledger on a real SQLite file and a real PostgreSQL: what is saved, atomically, once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import CanMutateAggregate
from eventsourcing.persistence import IntegrityError, Mapper, StoredEvent

from api.settings import Settings
from api.store_env import event_store_env
from domain.base import Actor, DomainError, LedgerAggregate
from domain.claim import Claim, ClaimBasis
from domain.commands import Context, StaleVersionError
from domain.episode import Episode
from domain.facility import BedUnavailableError, Facility
from domain.idempotency import IdempotencyKeyReusedError, IdempotencyRecord
from domain.ledger import Ledger
from domain.participant import Participant
from domain.personal_data import PersonalData
from domain.program import Program, ProgramCodeTakenError
from domain.sealing import KeyRing
from domain.tracks import CourseNotEnrolledError, entry_id
from store.sealing import SealingMapper
from store.storage import LedgerStorage
from store.transcoding import ledger_transcoder
from tests.conftest_stores import TODAY, LedgerFactory
from tests.integration.scenario import (
    ADMIN,
    CASEWORKER,
    MARCH,
    a_facility,
    a_world,
    an_episode,
)

APRIL = date(2024, 4, 1)


def every_event_class() -> set[type]:
    """Every event of every aggregate: a new aggregate's events are in it once it exists."""
    aggregates = LedgerAggregate.__subclasses__()
    assert {Program, Facility, Participant, PersonalData, Episode, IdempotencyRecord, Claim} <= {
        *aggregates
    }
    return {
        value
        for aggregate in aggregates
        for name, value in vars(aggregate).items()
        if isinstance(value, type)
        and issubclass(value, CanMutateAggregate)
        and name not in ("Event", "Created")
    }


def stored_events(ledger: Ledger) -> list[Any]:
    notifications = ledger.recorder.select_notifications(start=1, limit=100_000)
    return [ledger.mapper.to_domain_event(n) for n in notifications]


def position(ledger: Ledger) -> int:
    return ledger.recorder.max_notification_id() or 0


def race(*commands: Callable[[], Any]) -> list[Any]:
    """Run the commands at the same moment on separate threads; return results or errors."""
    barrier = threading.Barrier(len(commands))
    results: list[Any] = [None] * len(commands)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = commands[i]()
        except DomainError as error:
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(commands))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


class RecordingMapper(SealingMapper):
    """Keeps the events it is handed to store, to compare with what comes back."""

    def __init__(self, keyring: KeyRing) -> None:
        super().__init__(ledger_transcoder(), keyring)
        self.sent: list[Any] = []

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        self.sent.append(domain_event)
        return super().to_stored_event(domain_event)


class RecordingStorage(LedgerStorage):
    """The Ledger's store, with a mapper that keeps what it stored."""

    def __init__(self, keyring: KeyRing) -> None:
        super().__init__(keyring)
        self.recording = RecordingMapper(keyring)

    def mapper(self) -> Mapper[UUID]:
        return self.recording


def test_every_event_kind_reads_back_exactly_as_it_was_saved(
    store_url: str, new_ledger: LedgerFactory
) -> None:
    reader = new_ledger()  # shares the key ring (a table beside the events) with the recorder
    storage = RecordingStorage(reader.keyring)
    ledger = Ledger(
        event_store_env(Settings(database_url=store_url)), storage=storage, clock=lambda: TODAY
    )
    world = a_world(ledger, capacity=2)
    ep, cw = world.episode, CASEWORKER
    ledger.revise_targets(ADMIN, world.program, targets={"housed": 60}, reason="grant amended")
    ledger.add_service(
        ADMIN,
        world.program,
        kind="peer_group",
        name="Peer group",
        unit="meeting",
        indicator="skill_events",
        occurred_on=MARCH,
    )
    ledger.define_cohort(
        ADMIN,
        world.program,
        indicator="housed",
        prior_residence=["street"],
        target_groups=[],
        reason="who the grant is for",
    )
    ledger.define_outcome(
        ADMIN,
        world.program,
        key="no_return",
        name="No return to an institution for 12 months",
        condition={
            "kind": "sustained",
            "start": "placement_started",
            "without": "institutional_admission",
            "months": 12,
        },
        cohort={"prior_residence": ["inpatient_institution"]},
        window={"start": MARCH},
        price=150_000,
        cap=16,
        reason="contract annex 2",
    )
    line = {
        "participant_id": str(world.participant),
        "key": "no_return",
        "version": 1,
        "on": "2024-04-01",
        "evidence": [str(uuid4())],
        "amount": 150_000,
    }
    claim = ledger.submit_claim(
        Context(Actor("sv-1", "supervisor")),
        program_id=world.program,
        period_start=MARCH,
        period_end=APRIL,
        known_at=datetime(2024, 5, 1, tzinfo=UTC),
        basis=lambda _: ClaimBasis({"no_return": 1}, [line], {"position": 3, "hash": "00" * 32}),
    ).id
    assessor = Context(Actor("as-1", "assessor"))
    ledger.judge_claim_line(assessor, claim, 1, verdict="disputed", reason="evidence missing")
    ledger.decide_claim(assessor, claim, verdict="rejected", reason="line 1 disputed")
    ledger.change_capacity(ADMIN, world.facility, capacity=3, reason="new room", occurred_on=MARCH)
    ledger.correct_personal_data(
        cw, world.participant, changes={"phone": "+7 900"}, reason="new phone", occurred_on=MARCH
    )
    ledger.withdraw_institutional_application(
        cw, world.participant, institution_kind="orphanage", occurred_on=MARCH
    )
    ledger.record_institutional_admission(
        cw, world.participant, institution_kind="hospital", occurred_on=MARCH
    )
    ledger.assign_caseworker(cw, ep, caseworker="cw-8", occurred_on=MARCH)
    ledger.record_assessment(
        cw, ep, stage="intake", instrument="SRS", scores={"autonomy": 2}, occurred_on=MARCH
    )
    ledger.agree_plan(cw, ep, goals=["own flat", "job"], review_on=APRIL, occurred_on=MARCH)
    for answer in ("accepted", "completed"):
        referral = ledger.make_referral(cw, ep, specialist="lawyer", occurred_on=MARCH).id
        ledger.answer_referral(cw, ep, referral, answer="accepted", occurred_on=MARCH)
        if answer == "completed":
            ledger.answer_referral(cw, ep, referral, answer="completed", occurred_on=MARCH)
    declined = ledger.make_referral(cw, ep, specialist="doctor", occurred_on=MARCH).id
    ledger.answer_referral(cw, ep, declined, answer="declined", reason="full", occurred_on=MARCH)
    placement = ledger.start_placement(cw, ep, facility_id=world.facility, occurred_on=MARCH).id
    ledger.end_placement(cw, ep, placement, destination="training_apartment", occurred_on=APRIL)
    for outcome in ("completed", "dropped"):
        course = ledger.request_course(
            cw, ep, title="Seamstress", hours=72, course_format="mixed", occurred_on=MARCH
        ).id
        ledger.advance_course(cw, ep, course, to="enrolled", occurred_on=MARCH)
        ledger.advance_course(cw, ep, course, to=outcome, reason="moved", occurred_on=APRIL)
    job = ledger.start_job(
        cw, ep, employment="open_market", occupation="cleaner", occurred_on=APRIL
    ).id
    ledger.end_job(cw, ep, job, reason="seasonal", occurred_on=APRIL)
    service = ledger.deliver_service(
        cw, ep, kind="home_care", quantity=3, settlement="Bredy", occurred_on=APRIL
    )
    ledger.void_entry(cw, ep, entry_id(ep, service.version), reason="wrong person")
    ledger.deliver_service(
        cw, ep, kind="peer_group", quantity=1, settlement="Bredy", occurred_on=APRIL
    )
    ledger.assign_mentor(cw, ep, mentor_staff="volunteer-3", occurred_on=APRIL)
    ledger.close_episode(
        Context(Actor("cw-7", "caseworker"), idempotency_key="close-1"),
        ep,
        reason="goals_achieved",
        destination="independent_living",
        occurred_on=APRIL,
    )
    participant = ledger.load(Participant, world.participant)
    same_person = uuid4()
    participant.link(same_person, "same SNILS", ADMIN.actor, TODAY)
    participant.unlink(same_person, "twins", ADMIN.actor, TODAY)
    admission = max(participant.voidable)  # the institutional admission recorded above
    participant.void_entry(entry_id(participant.id, admission), "wrong", ADMIN.actor, TODAY)
    participant.withdraw_consent("services", APRIL, ADMIN.actor, TODAY)
    participant.erase("the person asked", ADMIN.actor, TODAY)
    ledger.save(participant)

    read_back = stored_events(reader)

    assert [type(e) for e in read_back] == [type(e) for e in storage.recording.sent]
    assert [vars(e) for e in read_back] == [vars(e) for e in storage.recording.sent]
    assert {type(e) for e in read_back} == every_event_class()


def test_a_placement_saves_facility_and_episode_in_one_transaction(ledger: Ledger) -> None:
    world = a_world(ledger)
    facility = ledger.load(Facility, world.facility)
    episode = ledger.load(Episode, world.episode)
    episode.start_placement(facility, uuid4(), MARCH, CASEWORKER.actor, TODAY)
    # Meanwhile another caseworker records a service: the episode moved on under us.
    ledger.deliver_service(
        CASEWORKER, world.episode, kind="transport", quantity=1, settlement="X", occurred_on=MARCH
    )
    before = position(ledger)

    with pytest.raises(IntegrityError):
        ledger.save(facility, episode)

    assert position(ledger) == before
    assert ledger.load(Facility, world.facility).stays == {}
    result = ledger.start_placement(
        CASEWORKER, world.episode, facility_id=world.facility, occurred_on=MARCH
    )
    last_two = stored_events(ledger)[-2:]
    assert [type(e) for e in last_two] == [Facility.BedAssigned, Episode.PlacementStarted]
    assert result.position == position(ledger)


def test_two_caseworkers_racing_for_the_last_bed_get_one_bed(ledger: Ledger) -> None:
    world = a_world(ledger)
    for round_ in range(5):
        facility = a_facility(ledger, capacity=1)
        first, second = an_episode(ledger, world.program), an_episode(ledger, world.program)
        results = race(
            *(
                lambda e=e, f=facility: ledger.start_placement(
                    CASEWORKER, e, facility_id=f, occurred_on=MARCH
                )
                for e in (first, second)
            )
        )
        errors = [r for r in results if isinstance(r, DomainError)]
        assert len(errors) == 1, (round_, results)
        assert isinstance(errors[0], BedUnavailableError)
        stays = ledger.load(Facility, facility).stays
        assert len(stays) == 1
        [winner] = [r for r in results if not isinstance(r, DomainError)]
        assert UUID(hex=next(iter(stays))) == winner.id


def test_a_command_sent_twice_with_its_key_is_written_once(ledger: Ledger) -> None:
    world = a_world(ledger)
    ctx = Context(Actor("cw-7", "caseworker", "r-1"), idempotency_key="sync-42")
    service = {"kind": "home_care", "quantity": 1, "settlement": "Bredy", "occurred_on": MARCH}
    first = ledger.deliver_service(ctx, world.episode, **service)
    after_first = position(ledger)

    again = ledger.deliver_service(ctx, world.episode, **service)

    assert (again.id, again.version, again.replayed) == (first.id, first.version, True)
    assert again.position == first.position
    assert position(ledger) == after_first
    with pytest.raises(IdempotencyKeyReusedError):
        ledger.deliver_service(ctx, world.episode, **{**service, "quantity": 2})
    assert position(ledger) == after_first
    # The key is the sender's: another caseworker may use the same string.
    other = Context(Actor("cw-8", "caseworker"), idempotency_key="sync-42")
    assert not ledger.deliver_service(other, world.episode, **service).replayed
    # Later writes do not move the first answer's position.
    assert position(ledger) > first.position
    assert ledger.deliver_service(ctx, world.episode, **service).position == first.position


def test_a_generated_id_is_answered_again_on_replay(ledger: Ledger) -> None:
    world = a_world(ledger)
    ctx = Context(Actor("cw-7", "caseworker"), idempotency_key="ref-1")
    first = ledger.make_referral(ctx, world.episode, specialist="doctor", occurred_on=MARCH)
    again = ledger.make_referral(ctx, world.episode, specialist="doctor", occurred_on=MARCH)
    assert again.id == first.id
    assert len(ledger.load(Episode, world.episode).tracks) == 1


def test_a_stale_version_is_refused_and_nothing_is_written(ledger: Ledger) -> None:
    world = a_world(ledger)
    version = ledger.load(Episode, world.episode).version
    ledger.assign_mentor(CASEWORKER, world.episode, mentor_staff="v-1", occurred_on=MARCH)
    before = position(ledger)
    stale = Context(CASEWORKER.actor, expected_version=version)

    with pytest.raises(StaleVersionError):
        ledger.assign_mentor(stale, world.episode, mentor_staff="v-2", occurred_on=MARCH)

    assert position(ledger) == before
    current = Context(CASEWORKER.actor, expected_version=version + 1)
    assert ledger.assign_mentor(current, world.episode, mentor_staff="v-2", occurred_on=MARCH)


def test_two_writers_with_the_same_expected_version_get_one_success(ledger: Ledger) -> None:
    world = a_world(ledger)
    version = ledger.load(Episode, world.episode).version
    pinned = Context(CASEWORKER.actor, expected_version=version)
    results = race(
        *(
            lambda m=m: ledger.assign_mentor(
                pinned, world.episode, mentor_staff=m, occurred_on=MARCH
            )
            for m in ("v-1", "v-2", "v-3")
        )
    )
    assert sum(isinstance(r, StaleVersionError) for r in results) == 2
    assert ledger.load(Episode, world.episode).version == version + 1


def test_a_program_code_is_taken_once_even_by_racing_admins(ledger: Ledger) -> None:
    define = lambda: ledger.define_program(  # noqa: E731
        ADMIN,
        code="RURAL",
        name="World without borders",
        financing="budget",
        period_start=date(2024, 1, 1),
        period_end=date(2024, 12, 31),
        targets={"served": 2659},
    )
    results = race(define, define)
    assert sum(isinstance(r, ProgramCodeTakenError) for r in results) == 1
    with pytest.raises(ProgramCodeTakenError):
        define()


@pytest.mark.parametrize(
    "command",
    [
        lambda ledger, w: ledger.advance_course(
            CASEWORKER, w.episode, uuid4(), to="completed", occurred_on=MARCH
        ),
        lambda ledger, w: ledger.deliver_service(
            CASEWORKER, w.episode, kind="home_care", quantity=0, settlement="X", occurred_on=MARCH
        ),
        lambda ledger, w: ledger.open_episode(
            CASEWORKER,
            participant_id=w.participant,
            program_id=uuid4(),
            caseworker="c",
            referral_source="self",
            occurred_on=MARCH,
        ),
        lambda ledger, w: ledger.close_episode(
            CASEWORKER,
            w.episode,
            reason="withdrew",
            destination="street",
            occurred_on=date(2024, 6, 5),
        ),
    ],
)
def test_a_refused_command_leaves_no_event_behind(ledger: Ledger, command: Any) -> None:
    world = a_world(ledger)
    before = position(ledger)
    with pytest.raises(DomainError):
        command(ledger, world)
    assert position(ledger) == before


def test_course_completion_before_enrolment_is_refused_through_the_store(ledger: Ledger) -> None:
    world = a_world(ledger)
    course = ledger.request_course(
        CASEWORKER,
        world.episode,
        title="Cook",
        hours=16,
        course_format="distance",
        occurred_on=MARCH,
    ).id
    with pytest.raises(CourseNotEnrolledError):
        ledger.advance_course(CASEWORKER, world.episode, course, to="completed", occurred_on=MARCH)


def test_a_long_rural_episode_is_read_from_a_snapshot_with_the_same_state(
    ledger: Ledger, new_ledger: LedgerFactory
) -> None:
    world = a_world(ledger)
    interval = Ledger.snapshotting_intervals[Episode]
    for day in range(1, 2 * interval + 1):
        ledger.deliver_service(
            CASEWORKER,
            world.episode,
            kind="home_care",
            quantity=1,
            settlement="Bredy",
            occurred_on=date(2024, 3, 1 + day % 28),
        )
    assert ledger.snapshots is not None
    snapshots = list(ledger.snapshots.get(world.episode))
    assert [s.originator_version for s in snapshots] == [interval, 2 * interval]

    fresh = new_ledger()
    from_snapshot = fresh.load(Episode, world.episode)
    from_events = fresh.repository.get(world.episode, version=2 * interval + 1)
    assert from_snapshot.version == 2 * interval + 1
    assert vars(from_snapshot) == vars(from_events)
    assert from_snapshot.entry_count == len(from_snapshot.standalone) == 2 * interval
