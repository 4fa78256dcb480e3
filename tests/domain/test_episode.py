from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.base import DateOrderError, FutureDateError, InvalidValueError, NotFoundError
from domain.catalogue import ServiceNotOfferedError
from domain.episode import (
    EntryNotVoidableError,
    Episode,
    EpisodeClosedError,
    OutsideProgramPeriodError,
)
from domain.facility import BedUnavailableError
from domain.participant import ConsentRequiredError, Participant
from domain.tracks import (
    CourseNotEnrolledError,
    PlacementOpenError,
    ReferralNotAcceptedError,
    TransitionNotAllowedError,
    entry_id,
)
from tests.domain.given import (
    ADMIN,
    CASEWORKER,
    TODAY,
    a_facility,
    a_participant,
    a_program,
    an_episode,
    replayed,
    settled,
    then_events,
    then_refused,
)

MARCH = date(2024, 3, 1)
MAR3, APR5 = date(2024, 3, 3), date(2024, 4, 5)
FEB28, JAN9 = date(2024, 2, 28), date(2024, 1, 9)


def test_an_episode_opens_for_a_consenting_participant_within_the_program_period() -> None:
    participant, program = a_participant(), a_program()
    episode = Episode.open(
        participant=participant,
        program=program,
        caseworker="cw-7",
        referral_source="police outreach",
        occurred_on=MARCH,
        by=CASEWORKER,
        today=TODAY,
    )
    [opened] = episode.collect_events()
    assert isinstance(opened, Episode.Opened)
    assert (opened.participant_id, opened.program_id) == (participant.id, program.id)
    assert (opened.caseworker, opened.occurred_on, episode.opened_on) == ("cw-7", MARCH, MARCH)
    [joined] = participant.collect_events()
    assert isinstance(joined, Participant.JoinedProgram)
    assert (joined.program_id, joined.episode_id) == (program.id, episode.id)
    assert participant.in_programs() == {program.id}


@pytest.mark.parametrize(
    ("opened_on", "consent", "error"),
    [
        (date(2023, 12, 31), True, OutsideProgramPeriodError),
        (date(2024, 6, 3), True, FutureDateError),
        (MARCH, False, ConsentRequiredError),
    ],
)
def test_an_episode_does_not_open_early_late_or_without_consent(
    opened_on: date, consent: bool, error: type[Exception]
) -> None:
    with pytest.raises(error):
        Episode.open(
            participant=a_participant(consent=consent),
            program=a_program(),
            caseworker="cw-7",
            referral_source="self",
            occurred_on=opened_on,
            by=CASEWORKER,
            today=TODAY,
        )


def test_effective_dates_may_be_a_day_ahead_but_not_two_nor_before_the_opening() -> None:
    episode = an_episode(opened_on=date(2024, 2, 1))
    tomorrow, after = date(2024, 6, 2), date(2024, 6, 3)
    then_events(
        episode,
        lambda: episode.deliver_service("transport", 1, "Bredy", tomorrow, CASEWORKER, TODAY),
    )
    then_refused(
        FutureDateError,
        episode,
        lambda: episode.deliver_service("transport", 1, "Bredy", after, CASEWORKER, TODAY),
    )
    then_refused(
        DateOrderError,
        episode,
        lambda: episode.deliver_service("transport", 1, "Bredy", JAN9, CASEWORKER, TODAY),
    )


def test_caseworker_assessment_plan_mentor_and_service_are_recorded() -> None:
    episode = an_episode()
    events = then_events(
        episode,
        lambda: (
            episode.assign_caseworker("cw-9", MARCH, CASEWORKER, TODAY),
            episode.record_assessment("intake", "SRS-2", {"autonomy": 3}, MARCH, CASEWORKER, TODAY),
            episode.agree_plan(["own flat"], date(2024, 9, 1), MARCH, CASEWORKER, TODAY),
            episode.assign_mentor(None, "volunteer-12", MARCH, CASEWORKER, TODAY),
            episode.deliver_service("food_package", 2, "Chelyabinsk", MARCH, CASEWORKER, TODAY),
        ),
    )
    assert [type(e).__name__ for e in events] == [
        "CaseworkerAssigned",
        "AssessmentRecorded",
        "PlanAgreed",
        "MentorAssigned",
        "ServiceDelivered",
    ]
    assert episode.caseworker == "cw-9"
    assert events[1].scores == {"autonomy": 3}
    assert (events[4].kind, events[4].quantity, events[4].settlement) == (
        "food_package",
        2,
        "Chelyabinsk",
    )
    assert all(e.recorded_by == "cw-7" and e.request_id == "req-cw" for e in events)


@pytest.mark.parametrize(
    "command",
    [
        lambda e: e.deliver_service("food_package", 0, "X", MARCH, CASEWORKER, TODAY),
        lambda e: e.deliver_service("massage", 1, "X", MARCH, CASEWORKER, TODAY),
        lambda e: e.agree_plan([], None, MARCH, CASEWORKER, TODAY),
        lambda e: e.agree_plan(["goal"], date(2024, 2, 1), MARCH, CASEWORKER, TODAY),
        lambda e: e.record_assessment("midterm", "SRS-2", {}, MARCH, CASEWORKER, TODAY),
        lambda e: e.request_course(uuid4(), "Cook", 20, "in_person", MARCH, CASEWORKER, TODAY),
        lambda e: e.start_job(uuid4(), "open_market", " ", MARCH, CASEWORKER, TODAY),
        lambda e: e.assign_caseworker("", MARCH, CASEWORKER, TODAY),
    ],
)
def test_impossible_values_are_refused(command: object) -> None:
    episode = an_episode()
    then_refused(InvalidValueError, episode, lambda: command(episode))  # type: ignore[operator]


def test_a_referral_is_made_accepted_and_completed_in_order() -> None:
    episode = an_episode()
    referral = uuid4()
    then_events(
        episode, lambda: episode.make_referral(referral, "lawyer", MARCH, CASEWORKER, TODAY)
    )
    then_refused(
        ReferralNotAcceptedError,
        episode,
        lambda: episode.answer_referral(referral, "completed", "", MARCH, CASEWORKER, TODAY),
    )
    accepted, completed = then_events(
        episode,
        lambda: (
            episode.answer_referral(referral, "accepted", "", date(2024, 3, 2), CASEWORKER, TODAY),
            episode.answer_referral(referral, "completed", "", date(2024, 3, 9), CASEWORKER, TODAY),
        ),
    )
    assert isinstance(accepted, Episode.ReferralAccepted)
    assert isinstance(completed, Episode.ReferralCompleted)
    assert completed.referral_id == referral


def test_a_declined_referral_needs_a_reason_and_cannot_be_accepted_after() -> None:
    episode = an_episode()
    referral = uuid4()
    episode.make_referral(referral, "doctor", MARCH, CASEWORKER, TODAY)
    settled(episode)
    then_refused(
        InvalidValueError,
        episode,
        lambda: episode.answer_referral(referral, "declined", " ", MARCH, CASEWORKER, TODAY),
    )
    [declined] = then_events(
        episode,
        lambda: episode.answer_referral(referral, "declined", "no slots", MARCH, CASEWORKER, TODAY),
    )
    assert declined.reason == "no slots"
    then_refused(
        TransitionNotAllowedError,
        episode,
        lambda: episode.answer_referral(referral, "accepted", "", MARCH, CASEWORKER, TODAY),
    )


def test_an_unknown_referral_course_or_job_is_not_found() -> None:
    episode = an_episode()
    for command in (
        lambda: episode.answer_referral(uuid4(), "accepted", "", MARCH, CASEWORKER, TODAY),
        lambda: episode.advance_course(uuid4(), "enrolled", "", MARCH, CASEWORKER, TODAY),
        lambda: episode.end_job(uuid4(), "contract ended", MARCH, CASEWORKER, TODAY),
    ):
        then_refused(NotFoundError, episode, command)


def test_a_course_completes_only_after_enrolment_and_not_before_it() -> None:
    episode = an_episode()
    course = uuid4()
    [requested] = then_events(
        episode,
        lambda: episode.request_course(course, "Seamstress", 72, "mixed", MARCH, CASEWORKER, TODAY),
    )
    assert (requested.hours, requested.format, requested.title) == (72, "mixed", "Seamstress")
    then_refused(
        CourseNotEnrolledError,
        episode,
        lambda: episode.advance_course(course, "completed", "", MAR3, CASEWORKER, TODAY),
    )
    then_refused(
        DateOrderError,
        episode,
        lambda: episode.advance_course(course, "enrolled", "", FEB28, CASEWORKER, TODAY),
    )
    enrolled, completed = then_events(
        episode,
        lambda: (
            episode.advance_course(course, "enrolled", "", date(2024, 3, 4), CASEWORKER, TODAY),
            episode.advance_course(course, "completed", "", date(2024, 4, 4), CASEWORKER, TODAY),
        ),
    )
    assert isinstance(enrolled, Episode.CourseEnrolled)
    assert isinstance(completed, Episode.CourseCompleted)
    then_refused(
        TransitionNotAllowedError,
        episode,
        lambda: episode.advance_course(course, "dropped", "bored", APR5, CASEWORKER, TODAY),
    )


def test_a_requested_course_can_be_dropped_with_a_reason() -> None:
    episode = an_episode()
    course = uuid4()
    episode.request_course(course, "Landscaper", 36, "in_person", MARCH, CASEWORKER, TODAY)
    settled(episode)
    [dropped] = then_events(
        episode,
        lambda: episode.advance_course(course, "dropped", "moved", MARCH, CASEWORKER, TODAY),
    )
    assert isinstance(dropped, Episode.CourseDropped)
    assert dropped.reason == "moved"


def test_a_job_starts_and_ends() -> None:
    episode = an_episode()
    job = uuid4()
    started, ended = then_events(
        episode,
        lambda: (
            episode.start_job(job, "supported_workshop", "booklet maker", MARCH, CASEWORKER, TODAY),
            episode.end_job(job, "moved to open market", date(2024, 5, 1), CASEWORKER, TODAY),
        ),
    )
    assert (started.employment, started.occupation) == ("supported_workshop", "booklet maker")
    assert isinstance(ended, Episode.JobEnded)
    then_refused(
        TransitionNotAllowedError,
        episode,
        lambda: episode.end_job(job, "again", date(2024, 5, 2), CASEWORKER, TODAY),
    )


def test_a_job_records_its_hours_a_week_when_they_are_known() -> None:
    episode = an_episode()
    part_time, unknown = then_events(
        episode,
        lambda: (
            episode.start_job(uuid4(), "open_market", "cleaner", MARCH, CASEWORKER, TODAY, 20),
            episode.start_job(uuid4(), "open_market", "loader", MARCH, CASEWORKER, TODAY),
        ),
    )
    assert (part_time.hours_per_week, unknown.hours_per_week) == (20, None)
    assert [track.status for track in episode.tracks.values()] == ["started", "started"]


@pytest.mark.parametrize("hours", [0, -5, 81, 400, True, 20.0])
def test_hours_a_week_outside_a_whole_1_to_80_are_refused(hours: Any) -> None:
    episode = an_episode()
    then_refused(
        InvalidValueError,
        episode,
        lambda: episode.start_job(uuid4(), "open_market", "cook", MARCH, CASEWORKER, TODAY, hours),
    )
    assert episode.tracks == {}


def test_a_placement_takes_a_bed_in_the_facility_and_ending_it_frees_the_bed() -> None:
    episode, facility = an_episode(), a_facility(capacity=1)
    placement = uuid4()
    bed = episode.start_placement(facility, placement, MARCH, CASEWORKER, TODAY)
    [started] = episode.collect_events()
    [assigned] = facility.collect_events()
    assert (bed, started.bed, started.facility_id) == (1, 1, facility.id)
    assert (assigned.placement_id, assigned.episode_id) == (placement, episode.id)
    assert episode.placement_facility(placement) == facility.id
    episode.end_placement(
        facility, placement, "training_apartment", date(2024, 4, 1), CASEWORKER, TODAY
    )
    [ended] = episode.collect_events()
    [released] = facility.collect_events()
    assert (ended.destination, released.occurred_on) == ("training_apartment", date(2024, 4, 1))
    assert facility.residents_on(date(2024, 4, 1)) == []


def test_a_participant_holds_one_bed_at_a_time_within_an_episode() -> None:
    episode, facility, other = an_episode(), a_facility(capacity=3), a_facility(capacity=3)
    episode.start_placement(facility, uuid4(), MARCH, CASEWORKER, TODAY)
    settled(episode), settled(facility)
    with pytest.raises(PlacementOpenError):
        episode.start_placement(other, uuid4(), date(2024, 3, 5), CASEWORKER, TODAY)
    assert episode.collect_events() == []
    assert other.collect_events() == []


def test_no_free_bed_leaves_both_episode_and_facility_unchanged() -> None:
    facility = a_facility(capacity=1)
    first, second = an_episode(), an_episode()
    first.start_placement(facility, uuid4(), MARCH, CASEWORKER, TODAY)
    settled(first), settled(facility)
    with pytest.raises(BedUnavailableError):
        second.start_placement(facility, uuid4(), MARCH, CASEWORKER, TODAY)
    assert second.collect_events() == []
    assert facility.collect_events() == []


def test_a_placement_ends_after_it_starts() -> None:
    episode, facility = an_episode(), a_facility()
    placement = uuid4()
    episode.start_placement(facility, placement, MARCH, CASEWORKER, TODAY)
    settled(episode), settled(facility)
    with pytest.raises(DateOrderError):
        episode.end_placement(facility, placement, "street", date(2024, 2, 20), CASEWORKER, TODAY)
    assert episode.collect_events() == []
    assert facility.collect_events() == []


def voidable(episode: Episode, version: int) -> UUID:
    return entry_id(episode.id, version)


def test_a_voided_entry_stays_in_history_and_is_marked() -> None:
    episode = an_episode()
    episode.deliver_service("home_care", 1, "Bredy", MARCH, CASEWORKER, TODAY)
    settled(episode)
    service = voidable(episode, episode.version)
    [voided] = then_events(
        episode, lambda: episode.void_entry(service, "wrong person", CASEWORKER, TODAY)
    )
    assert (voided.event_id, voided.reason) == (service, "wrong person")
    assert episode.is_voided(service)
    assert episode.find_entry(service) is None
    then_refused(
        EntryNotVoidableError,
        episode,
        lambda: episode.void_entry(service, "again", CASEWORKER, TODAY),
    )
    then_refused(
        NotFoundError, episode, lambda: episode.void_entry(uuid4(), "?", CASEWORKER, TODAY)
    )


def test_only_the_latest_step_of_a_course_can_be_voided_and_voiding_undoes_it() -> None:
    episode = an_episode()
    course = uuid4()
    episode.request_course(course, "Cleaner", 16, "in_person", MARCH, CASEWORKER, TODAY)
    episode.advance_course(course, "enrolled", "", MARCH, CASEWORKER, TODAY)
    settled(episode)
    requested, enrolled = voidable(episode, 2), voidable(episode, 3)
    then_refused(
        EntryNotVoidableError,
        episode,
        lambda: episode.void_entry(requested, "x", CASEWORKER, TODAY),
    )
    then_events(episode, lambda: episode.void_entry(enrolled, "entered twice", CASEWORKER, TODAY))
    then_refused(
        CourseNotEnrolledError,
        episode,
        lambda: episode.advance_course(course, "completed", "", MARCH, CASEWORKER, TODAY),
    )


def test_a_placement_is_ended_not_voided() -> None:
    episode, facility = an_episode(), a_facility()
    episode.start_placement(facility, uuid4(), MARCH, CASEWORKER, TODAY)
    settled(episode), settled(facility)
    started = voidable(episode, episode.version)
    then_refused(
        EntryNotVoidableError, episode, lambda: episode.void_entry(started, "x", CASEWORKER, TODAY)
    )


def test_closing_needs_no_open_placement_and_a_date_after_every_entry() -> None:
    episode, facility = an_episode(), a_facility()
    placement = uuid4()
    episode.start_placement(facility, placement, MARCH, CASEWORKER, TODAY)
    episode.deliver_service("food_package", 1, "Chelyabinsk", date(2024, 4, 10), CASEWORKER, TODAY)
    settled(episode), settled(facility)
    close = lambda on: episode.close("goals_achieved", "independent_living", on, CASEWORKER, TODAY)  # noqa: E731
    then_refused(PlacementOpenError, episode, lambda: close(date(2024, 5, 1)))
    episode.end_placement(
        facility, placement, "independent_living", date(2024, 4, 20), CASEWORKER, TODAY
    )
    settled(episode)
    then_refused(DateOrderError, episode, lambda: close(date(2024, 4, 15)))
    [closed] = then_events(episode, lambda: close(date(2024, 5, 1)))
    assert (closed.reason, closed.destination, episode.closed_on) == (
        "goals_achieved",
        "independent_living",
        date(2024, 5, 1),
    )


def test_nothing_is_recorded_after_closure() -> None:
    episode = an_episode()
    episode.deliver_service("transport", 1, "Bredy", MARCH, CASEWORKER, TODAY)
    service = voidable(episode, episode.version)
    episode.close("program_ended", "own_home", MARCH, CASEWORKER, TODAY)
    settled(episode)
    for command in (
        lambda: episode.deliver_service("transport", 1, "Bredy", MARCH, CASEWORKER, TODAY),
        lambda: episode.void_entry(service, "late fix", CASEWORKER, TODAY),
        lambda: episode.assign_caseworker("cw-2", MARCH, CASEWORKER, TODAY),
        lambda: episode.close("withdrew", "street", MARCH, CASEWORKER, TODAY),
        lambda: episode.start_placement(a_facility(), uuid4(), MARCH, CASEWORKER, TODAY),
    ):
        then_refused(EpisodeClosedError, episode, command)


def test_an_episode_replays_from_its_events_to_the_same_state() -> None:
    episode = Episode.open(
        participant=a_participant(),
        program=a_program(),
        caseworker="cw-7",
        referral_source="self",
        occurred_on=MARCH,
        by=CASEWORKER,
        today=TODAY,
    )
    facility, course, referral = a_facility(), uuid4(), uuid4()
    placement = uuid4()
    episode.start_placement(facility, placement, MARCH, CASEWORKER, TODAY)
    episode.request_course(course, "Cook", 36, "distance", MARCH, CASEWORKER, TODAY)
    episode.advance_course(course, "enrolled", "", MARCH, CASEWORKER, TODAY)
    episode.make_referral(referral, "psychologist", MARCH, CASEWORKER, TODAY)
    episode.deliver_service("consultation_psychologist", 1, "Kopeysk", MARCH, CASEWORKER, TODAY)
    episode.void_entry(entry_id(episode.id, episode.version), "duplicate", CASEWORKER, TODAY)
    episode.end_placement(facility, placement, "own_home", date(2024, 4, 1), CASEWORKER, TODAY)
    episode.close("goals_achieved", "own_home", date(2024, 4, 2), CASEWORKER, TODAY)
    events = list(episode.collect_events())
    assert vars(replayed(episode, events)) == vars(episode)


def test_a_service_of_a_kind_in_the_programs_catalogue_is_delivered() -> None:
    episode, program = an_episode(), a_program()
    program.add_service("peer_group", "Peer group", "meeting", "skill_events", MARCH, ADMIN, TODAY)
    [delivered] = then_events(
        episode,
        lambda: episode.deliver_service(
            "peer_group", 1, "Bredy", MARCH, CASEWORKER, TODAY, program
        ),
    )
    assert (delivered.kind, delivered.quantity) == ("peer_group", 1)


def test_a_kind_neither_built_in_nor_in_the_catalogue_is_not_offered() -> None:
    episode, program = an_episode(), a_program()
    program.add_service("peer_group", "Peer group", "meeting", None, MARCH, ADMIN, TODAY)
    for given in (None, program):
        then_refused(
            ServiceNotOfferedError,
            episode,
            lambda given=given: episode.deliver_service(
                "laundry", 1, "Bredy", MARCH, CASEWORKER, TODAY, given
            ),
        )
    then_refused(
        ServiceNotOfferedError,
        episode,
        lambda: episode.deliver_service("peer_group", 1, "Bredy", MARCH, CASEWORKER, TODAY),
    )


def test_a_catalogue_kind_of_another_program_is_refused() -> None:
    episode, other = an_episode(), a_program(code="OTHER")
    other.add_service("peer_group", "Peer group", "meeting", None, MARCH, ADMIN, TODAY)
    then_refused(
        InvalidValueError,
        episode,
        lambda: episode.deliver_service("peer_group", 1, "Bredy", MARCH, CASEWORKER, TODAY, other),
    )


def test_a_mentor_is_a_participant_or_staff_and_replays_as_such() -> None:
    episode, mentor = an_episode(), uuid4()
    events = then_events(
        episode,
        lambda: (
            episode.assign_mentor(mentor, None, MARCH, CASEWORKER, TODAY),
            episode.assign_mentor(None, " volunteer-12 ", MARCH, CASEWORKER, TODAY),
        ),
    )
    assert [(e.mentor_participant_id, e.mentor_staff) for e in events] == [
        (mentor, None),
        (None, "volunteer-12"),
    ]


@pytest.mark.parametrize("who", ["both", "neither", "self", "blank staff"])
def test_a_mentor_is_exactly_one_person_other_than_the_participant(who: str) -> None:
    episode = an_episode()
    mentor, staff = {
        "both": (uuid4(), "volunteer-12"),
        "neither": (None, None),
        "self": (episode.participant_id, None),
        "blank staff": (None, "  "),
    }[who]
    then_refused(
        InvalidValueError,
        episode,
        lambda: episode.assign_mentor(mentor, staff, MARCH, CASEWORKER, TODAY),
    )
