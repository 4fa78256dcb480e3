from datetime import date

from domain.episode import Episode
from domain.tracks import entry_id
from projections.outcomes import Outcomes
from tests.integration.scenario import CASEWORKER, a_world, an_episode
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
