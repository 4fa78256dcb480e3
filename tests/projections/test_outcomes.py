from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from domain.episode import Episode
from domain.ledger import Ledger
from domain.participant import Participant
from domain.tracks import entry_id
from projections.outcome_people import Cohort
from projections.outcome_report import IndicatorCount
from projections.outcomes import Outcomes
from tests.integration.scenario import CASEWORKER, MARCH, a_participant, a_world, an_episode
from tests.projections import admin_commands as given
from tests.projections.conftest import Stores

YEAR = (date(2024, 1, 1), date(2024, 12, 31))


def test_each_indicator_counts_participants_with_the_events_that_prove_it(stores: Stores) -> None:
    ledger = stores.ledger
    world = a_world(ledger, capacity=3)
    ep = world.episode
    placement = ledger.start_placement(
        CASEWORKER, ep, facility_id=world.facility, occurred_on=date(2024, 3, 2)
    )
    referral = ledger.make_referral(
        CASEWORKER, ep, specialist="psychologist", occurred_on=date(2024, 3, 2)
    ).id
    ledger.answer_referral(
        CASEWORKER, ep, referral, answer="accepted", occurred_on=date(2024, 3, 3)
    )
    consulted = ledger.answer_referral(
        CASEWORKER, ep, referral, answer="completed", occurred_on=date(2024, 3, 4)
    )
    course = ledger.request_course(
        CASEWORKER,
        ep,
        title="Seamstress",
        hours=72,
        course_format="mixed",
        occurred_on=date(2024, 3, 5),
    ).id
    enrolled = ledger.advance_course(
        CASEWORKER, ep, course, to="enrolled", occurred_on=date(2024, 3, 9)
    )
    trained = ledger.advance_course(
        CASEWORKER, ep, course, to="completed", occurred_on=date(2024, 4, 9)
    )
    job = ledger.start_job(
        CASEWORKER,
        ep,
        employment="open_market",
        occupation="seamstress",
        occurred_on=date(2024, 5, 1),
    )
    ledger.withdraw_institutional_application(
        CASEWORKER,
        world.participant,
        institution_kind="psychoneurological_boarding_home",
        occurred_on=date(2024, 3, 10),
    )
    other = an_episode(ledger, world.program)
    other_participant = ledger.load(Episode, other).participant_id
    ledger.record_institutional_admission(
        CASEWORKER, other_participant, institution_kind="nursing_home", occurred_on=date(2024, 4, 1)
    )

    outcomes = stores.project(Outcomes)
    with outcomes.reading() as reading:
        report = outcomes.report(reading, world.program, *YEAR)

    me = str(world.participant)
    counts = {i.indicator: i.count for i in report.indicators}
    assert counts == {
        "served": 2,
        "housed": 1,
        "consulted": 1,
        "trained": 1,
        "employed": 1,
        "employed_open_market": 1,
        "employed_supported_workshop": 0,
        "applications_withdrawn": 1,
        "returned_to_institution": 1,
        "no_return_to_institution": 1,
        "course_started_within_limit": 1,
        "mentors": 0,
        "mentors_once_participants": 0,
        "new_services": 0,
        "skill_events": 0,
        "services_delivered": 0,
    }
    evidence = {i.indicator: i.evidence for i in report.indicators}
    assert evidence["housed"] == {me: [str(entry_id(ep, placement.version))]}
    assert evidence["consulted"] == {me: [str(entry_id(ep, consulted.version))]}
    assert evidence["trained"] == {me: [str(entry_id(ep, trained.version))]}
    assert evidence["employed"] == {me: [str(entry_id(ep, job.version))]}
    assert evidence["course_started_within_limit"] == {me: [str(entry_id(ep, enrolled.version))]}
    assert evidence["returned_to_institution"].keys() == {str(other_participant)}
    assert {i.indicator: i.target for i in report.indicators}["served"] == 200


def test_a_voided_completion_is_not_counted_and_a_late_enrolment_is_not_within_limit(
    stores: Stores,
) -> None:
    ledger = stores.ledger
    world = a_world(ledger)
    course = ledger.request_course(
        CASEWORKER,
        world.episode,
        title="Cook",
        hours=36,
        course_format="distance",
        occurred_on=date(2024, 3, 1),
    ).id
    ledger.advance_course(
        CASEWORKER, world.episode, course, to="enrolled", occurred_on=date(2024, 3, 7)
    )
    completed = ledger.advance_course(
        CASEWORKER, world.episode, course, to="completed", occurred_on=date(2024, 4, 1)
    )
    outcomes = stores.project(Outcomes)
    with outcomes.reading() as reading:
        before = outcomes.report(reading, world.program, *YEAR)
    ledger.void_entry(
        CASEWORKER, world.episode, entry_id(world.episode, completed.version), reason="not finished"
    )
    stores.project(Outcomes)
    with outcomes.reading() as reading:
        after = outcomes.report(reading, world.program, *YEAR)

    assert before.count("trained") == 1
    assert after.count("trained") == 0
    assert after.count("course_started_within_limit") == 0  # 6 days > the 5-day limit


def test_back_dated_facts_land_in_the_period_they_happened_and_groups_filter(
    stores: Stores,
) -> None:
    ledger = stores.ledger
    world = a_world(ledger)
    job = dict(employment="supported_workshop", occupation="booklet maker")
    ledger.start_job(CASEWORKER, world.episode, **job, occurred_on=date(2024, 5, 10))  # type: ignore[arg-type]
    outcomes = stores.project(Outcomes)
    ledger.start_job(
        CASEWORKER, world.episode, **job, occurred_on=date(2024, 3, 10)
    )  # entered late  # type: ignore[arg-type]
    stores.project(Outcomes)

    with outcomes.reading() as reading:
        march = outcomes.report(reading, world.program, date(2024, 3, 1), date(2024, 3, 31))
        april = outcomes.report(reading, world.program, date(2024, 4, 1), date(2024, 4, 30))
        homeless = outcomes.report(reading, world.program, *YEAR, target_group="homeless")
        leavers = outcomes.report(reading, world.program, *YEAR, target_group="orphan_care_leaver")

    assert march.count("employed_supported_workshop") == 1
    assert april.count("employed") == 0
    assert homeless.count("served") == 0
    assert leavers.count("served") == 1
    assert leavers.count("employed") == 1
    assert len(leavers.indicators[4].evidence[str(world.participant)]) == 2


def a_person(
    ledger: Ledger, program: UUID, residence: str = "orphan_care", on: date = MARCH
) -> Any:
    """A participant who lived in `residence` before, in an episode of the program from `on`."""
    participant = ledger.register_participant(
        CASEWORKER,
        target_groups=["mental_disability"],
        settlement="Moscow",
        birth_year=1990,
        prior_residence=residence,
    ).id
    ledger.record_consent(
        CASEWORKER, participant, scope="services", document_ref="C", occurred_on=MARCH
    )
    episode = ledger.open_episode(
        CASEWORKER,
        participant_id=participant,
        program_id=program,
        caseworker="cw-7",
        referral_source="self",
        occurred_on=on,
    ).id
    return participant, episode


def reported(stores: Stores, program: UUID, **options: Any) -> dict[str, IndicatorCount]:
    outcomes = stores.project(Outcomes)
    with outcomes.reading() as reading:
        report = outcomes.report(reading, program, *YEAR, **options)
    return {i.indicator: i for i in report.indicators}


def proof(result: Any, aggregate: UUID | None = None) -> str:
    return str(entry_id(aggregate or result.id, result.version))


def test_mentors_are_counted_once_each_and_those_once_served_are_told_apart(
    stores: Stores,
) -> None:
    ledger = stores.ledger
    world = a_world(ledger)
    ep, ep2 = world.episode, an_episode(ledger, world.program)
    once, once_episode = a_person(ledger, world.program, on=date(2024, 3, 1))
    never = a_participant(ledger)  # registered, never in an episode
    later, _ = a_person(ledger, world.program, on=date(2024, 5, 1))  # served after mentoring

    def mentor(episode: UUID, on: date, **who: Any) -> str:
        return proof(ledger.assign_mentor(CASEWORKER, episode, occurred_on=on, **who), episode)

    first = mentor(ep, date(2024, 4, 1), mentor_participant_id=once)
    second = mentor(ep2, date(2024, 4, 2), mentor_participant_id=once)
    staff = [mentor(e, date(2024, 4, 3), mentor_staff="volunteer-7") for e in (ep, ep2)]
    never_proof = mentor(ep2, date(2024, 4, 4), mentor_participant_id=never)
    later_proof = mentor(ep, date(2024, 4, 5), mentor_participant_id=later)
    voided = mentor(ep, date(2024, 4, 6), mentor_participant_id=a_participant(ledger))
    ledger.void_entry(CASEWORKER, ep, UUID(voided), reason="another volunteer came")

    counts = reported(stores, world.program)

    assert counts["mentors"].evidence == {
        str(once): [first, second],
        "staff:volunteer-7": staff,
        str(never): [never_proof],
        str(later): [later_proof],
    }
    assert counts["mentors"].count == 4
    assert counts["mentors_once_participants"].evidence == {
        str(once): [str(entry_id(once_episode, 1)), first, second]
    }
    assert counts["mentors_once_participants"].count == 1
    assert counts["served"].count == 4  # mentoring makes nobody served


def test_deliveries_count_by_quantity_and_feed_skill_events_and_new_services_by_catalogue(
    stores: Stores,
) -> None:
    ledger = stores.ledger
    world = a_world(ledger)
    ep, ep2 = world.episode, an_episode(ledger, world.program)
    other = ledger.load(Episode, ep2).participant_id
    old = given.add_service(ledger, world.program, "graduates_club", None, date(2023, 12, 20))
    club = given.add_service(
        ledger, world.program, "life_skills_club", "skill_events", date(2024, 2, 1)
    )
    food = given.add_service(ledger, world.program, "hotel_food_set", None, date(2024, 3, 5))

    def deliver(episode: UUID, kind: str, quantity: int) -> str:
        on = date(2024, 3, 10)
        if kind in ("life_skills_club", "hotel_food_set"):
            done = given.deliver_catalogue_service(ledger, episode, kind, quantity, on)
        else:
            done = ledger.deliver_service(
                CASEWORKER,
                episode,
                kind=kind,
                quantity=quantity,
                settlement="Bredy",
                occurred_on=on,
            )
        return proof(done, episode)

    skills = deliver(ep, "household_skills", 2)
    workshop = deliver(ep2, "workshop", 1)
    lawyer = deliver(ep, "consultation_lawyer", 1)
    care = deliver(ep2, "home_care", 5)
    session = deliver(ep, "life_skills_club", 3)
    package = deliver(ep, "hotel_food_set", 1)
    ledger.void_entry(CASEWORKER, ep2, UUID(care), reason="entered twice")

    counts = reported(stores, world.program)

    me, them = str(world.participant), str(other)
    assert counts["services_delivered"].evidence == {
        me: [skills, lawyer, session, package],
        them: [workshop],
    }
    assert counts["services_delivered"].count == 2 + 1 + 1 + 3 + 1
    assert counts["skill_events"].evidence == {me: [skills, session], them: [workshop]}
    assert counts["skill_events"].count == 3  # entries, not people
    assert counts["consulted"].evidence == {me: [lawyer]}
    assert counts["new_services"].evidence == {str(world.program): [proof(club), proof(food)]}
    assert counts["new_services"].count == 2
    assert proof(old) not in counts["new_services"].evidence[str(world.program)]


def test_records_linked_as_one_person_count_once_from_the_moment_the_link_is_known(
    stores: Stores,
) -> None:
    ledger = stores.ledger
    world = a_world(ledger)
    ep2 = an_episode(ledger, world.program)
    twin = ledger.load(Episode, ep2).participant_id
    mentor_a, mentor_b = a_participant(ledger), a_participant(ledger)
    ledger.assign_mentor(
        CASEWORKER, world.episode, mentor_participant_id=mentor_a, occurred_on=MARCH
    )
    ledger.assign_mentor(CASEWORKER, ep2, mentor_participant_id=mentor_b, occurred_on=MARCH)
    before = datetime.now(UTC)
    given.link(ledger, world.participant, twin)
    given.link(ledger, mentor_a, mentor_b)
    linked = datetime.now(UTC)
    given.link(ledger, world.participant, twin, undo=True)

    as_linked = reported(stores, world.program, known_at=linked)
    as_before = reported(stores, world.program, known_at=before)
    now = reported(stores, world.program)

    one = min(str(world.participant), str(twin))
    openings = sorted(
        [
            (str(world.participant), str(entry_id(world.episode, 1))),
            (str(twin), str(entry_id(ep2, 1))),
        ]
    )
    assert as_linked["served"].evidence == {one: [entry for _, entry in openings]}
    assert as_linked["no_return_to_institution"].count == 1
    assert as_linked["mentors"].count == 1
    assert list(as_linked["mentors"].evidence) == [min(str(mentor_a), str(mentor_b))]
    assert (as_before["served"].count, as_before["mentors"].count) == (2, 2)
    assert (now["served"].count, now["mentors"].count) == (2, 1)  # the mentors stay linked


def test_no_return_is_counted_on_its_cohort_and_a_voided_admission_is_no_return(
    stores: Stores,
) -> None:
    """Seed 000's indicator: about those who came from a boarding home, not those at home."""
    ledger = stores.ledger
    world = a_world(ledger)
    program = world.program
    boarded = [a_person(ledger, program, "inpatient_institution")[0] for _ in range(3)]
    at_home = [a_person(ledger, program, "own_home")[0] for _ in range(2)]
    for person in (boarded[0], at_home[0]):
        ledger.record_institutional_admission(
            CASEWORKER, person, institution_kind="nursing_home", occurred_on=date(2024, 4, 1)
        )
    admission = entry_id(boarded[0], ledger.load(Participant, boarded[0]).version)
    before_cohort = datetime.now(UTC)
    given.define_cohort(ledger, program, "no_return_to_institution", ["inpatient_institution"])
    before_void = datetime.now(UTC)
    given.void_participant_entry(ledger, boarded[0], admission)

    then = reported(stores, program, known_at=before_void)
    no_cohort = reported(stores, program, known_at=before_cohort)
    now = reported(stores, program)

    no_return = then["no_return_to_institution"]
    assert (no_return.count, no_return.cohort_size) == (2, 3)
    assert no_return.evidence.keys() == {str(p) for p in boarded[1:]}
    assert no_return.cohort == Cohort(["inpatient_institution"], [])
    assert (then["served"].count, then["served"].cohort, then["served"].cohort_size) == (
        6,
        None,
        None,
    )
    assert no_cohort["no_return_to_institution"].count == 6 - 2
    assert no_cohort["no_return_to_institution"].cohort is None
    assert now["no_return_to_institution"].count == 3
    assert now["returned_to_institution"].evidence.keys() == {str(at_home[0])}
