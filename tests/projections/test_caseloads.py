from datetime import date

from domain.base import Actor
from domain.commands import Context
from domain.tracks import entry_id
from projections.caseloads import Caseloads
from tests.integration.scenario import CASEWORKER, a_world, an_episode
from tests.projections.conftest import Stores

JUNE = date(2024, 6, 1)


def test_a_caseload_lists_open_episodes_with_their_last_contact(stores: Stores) -> None:
    world = a_world(stores.ledger)
    stores.ledger.deliver_service(
        CASEWORKER,
        world.episode,
        kind="food_package",
        quantity=1,
        settlement="X",
        occurred_on=date(2024, 3, 20),
    )
    closed = an_episode(stores.ledger, world.program)
    stores.ledger.record_assessment(
        CASEWORKER, closed, stage="final", instrument="SRS", scores={}, occurred_on=date(2024, 3, 2)
    )
    stores.ledger.close_episode(
        CASEWORKER,
        closed,
        reason="goals_achieved",
        destination="own_home",
        occurred_on=date(2024, 3, 3),
    )

    caseloads = stores.project(Caseloads)
    with caseloads.reading() as reading:
        caseload = caseloads.caseload(reading, "cw-7", JUNE)

    assert [(e.episode_id, e.last_contact) for e in caseload.episodes] == [
        (str(world.episode), date(2024, 3, 20))
    ]
    assert caseload.overdue == []


def test_overdue_courses_referrals_and_missing_final_monitoring(stores: Stores) -> None:
    world = a_world(stores.ledger)
    ep = world.episode
    late_course = stores.ledger.request_course(
        CASEWORKER,
        ep,
        title="Cook",
        hours=16,
        course_format="in_person",
        occurred_on=date(2024, 5, 20),
    ).id
    started_course = stores.ledger.request_course(
        CASEWORKER,
        ep,
        title="Cook",
        hours=16,
        course_format="in_person",
        occurred_on=date(2024, 5, 20),
    ).id
    stores.ledger.advance_course(
        CASEWORKER, ep, started_course, to="enrolled", occurred_on=date(2024, 5, 22)
    )
    waiting = stores.ledger.make_referral(
        CASEWORKER, ep, specialist="lawyer", occurred_on=date(2024, 5, 1)
    ).id
    recent = stores.ledger.make_referral(
        CASEWORKER, ep, specialist="doctor", occurred_on=date(2024, 5, 30)
    )
    unmonitored = an_episode(stores.ledger, world.program)
    stores.ledger.close_episode(
        CASEWORKER,
        unmonitored,
        reason="withdrew",
        destination="street",
        occurred_on=date(2024, 4, 1),
    )

    caseloads = stores.project(Caseloads)
    with caseloads.reading() as reading:
        overdue = caseloads.caseload(reading, "cw-7", JUNE).overdue

    assert [(o.kind, o.item_id, o.due) for o in overdue] == [
        ("final_monitoring_missing", None, date(2024, 4, 1)),
        ("referral_unanswered", str(waiting), date(2024, 5, 11)),
        ("course_not_started", str(late_course), date(2024, 5, 25)),
    ]
    assert str(recent.id) not in {o.item_id for o in overdue}


def test_a_voided_enrolment_makes_the_course_overdue_again(stores: Stores) -> None:
    world = a_world(stores.ledger)
    course = stores.ledger.request_course(
        CASEWORKER,
        world.episode,
        title="Cook",
        hours=16,
        course_format="mixed",
        occurred_on=date(2024, 5, 1),
    ).id
    enrolled = stores.ledger.advance_course(
        CASEWORKER, world.episode, course, to="enrolled", occurred_on=date(2024, 5, 2)
    )
    caseloads = stores.project(Caseloads)
    with caseloads.reading() as reading:
        assert caseloads.caseload(reading, "cw-7", JUNE).overdue == []

    stores.ledger.void_entry(
        CASEWORKER, world.episode, entry_id(world.episode, enrolled.version), reason="never came"
    )
    stores.project(Caseloads)
    with caseloads.reading() as reading:
        [overdue] = caseloads.caseload(reading, "cw-7", JUNE).overdue
    assert (overdue.kind, overdue.item_id) == ("course_not_started", str(course))


def test_a_reassigned_episode_moves_to_the_new_caseworkers_caseload(stores: Stores) -> None:
    world = a_world(stores.ledger)
    supervisor = Context(Actor("sup-1", "supervisor"))
    stores.ledger.assign_caseworker(
        supervisor, world.episode, caseworker="cw-9", occurred_on=date(2024, 4, 1)
    )
    caseloads = stores.project(Caseloads)
    with caseloads.reading() as reading:
        assert caseloads.caseload(reading, "cw-7", JUNE).episodes == []
        assert [e.episode_id for e in caseloads.caseload(reading, "cw-9", JUNE).episodes] == [
            str(world.episode)
        ]
