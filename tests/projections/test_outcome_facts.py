"""The outcome facts model: one row per event that outcome_rules measures, made by `fact_of`, its
program (none for a fact of the person), when recorded and voided; any text the log holds."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from domain.outcome_rules import FACTS, KIND_OF_EVENT
from domain.tracks import entry_id
from projections.outcome_facts import EPISODE_FACTS, PERSON_FACTS, OutcomeFacts
from projections.rebuild import rebuild
from tests.integration.scenario import CASEWORKER, a_world, an_episode
from tests.projections import admin_commands as given
from tests.projections.conftest import Stores


def test_every_fact_outcomes_are_measured_on_is_followed_from_its_event() -> None:
    followed = [KIND_OF_EVENT[cls.__name__] for cls in (*EPISODE_FACTS, *PERSON_FACTS)]
    assert sorted(followed) == sorted(FACTS)


def rows(model: OutcomeFacts) -> dict[str, list[tuple[Any, ...]]]:
    with model.reading() as reading:
        return {
            table: sorted(reading.tx.execute(f"SELECT * FROM {reading.t(table)}"), key=repr)
            for table in model.TABLES
        }


def test_each_fact_keeps_its_proof_program_detail_and_voiding_and_a_rebuild_agrees(
    stores: Stores,
) -> None:
    ledger = stores.ledger
    world = a_world(ledger, capacity=2)
    ep, person, program = world.episode, world.participant, str(world.program)
    placed = ledger.start_placement(
        CASEWORKER, ep, facility_id=world.facility, occurred_on=date(2024, 3, 2)
    )
    left = ledger.end_placement(
        CASEWORKER, ep, placed.id, destination="own_home", occurred_on=date(2024, 4, 2)
    )
    course = ledger.request_course(
        CASEWORKER, ep, title="Cook", hours=36, course_format="mixed", occurred_on=date(2024, 3, 3)
    ).id
    enrolled = ledger.advance_course(
        CASEWORKER, ep, course, to="enrolled", occurred_on=date(2024, 3, 4)
    )
    completed = ledger.advance_course(
        CASEWORKER, ep, course, to="completed", occurred_on=date(2024, 4, 4)
    )
    # PostgreSQL's text refuses NUL: the model stores it all the same (store/read_store.py).
    job = ledger.start_job(
        CASEWORKER,
        ep,
        employment="supported_workshop",
        occupation="night\x00baker",
        occurred_on=date(2024, 5, 1),
    )
    ended = ledger.end_job(CASEWORKER, ep, job.id, reason="moved", occurred_on=date(2024, 5, 20))
    withdrawn = ledger.withdraw_institutional_application(
        CASEWORKER,
        person,
        institution_kind="psychoneurological_boarding_home",
        occurred_on=date(2024, 3, 10),
    )
    admitted = ledger.record_institutional_admission(
        CASEWORKER, person, institution_kind="hospital", occurred_on=date(2024, 5, 5)
    )
    admission = entry_id(person, admitted.version)
    given.void_participant_entry(ledger, person, admission)
    an_episode(ledger, world.program)  # someone else, with no facts

    model = stores.project(OutcomeFacts, batch_size=3)  # voidings in later batches than facts
    live = rows(model)

    def fact(version: int, kind: str, on: date, detail: dict[str, str], of: Any = ep) -> Any:
        return (str(entry_id(of, version)), kind, on.isoformat(), detail)

    facts = {row[0]: row for row in live["facts"]}
    assert sorted(
        (entry, kind, on, json.loads(detail))
        for entry, _, _, kind, on, detail, _, _, _ in facts.values()
    ) == sorted(
        [
            fact(
                placed.version,
                "placement_started",
                date(2024, 3, 2),
                {"placement_id": placed.id.hex, "facility_id": world.facility.hex},
            ),
            fact(
                left.version,
                "placement_ended",
                date(2024, 4, 2),
                {"placement_id": placed.id.hex, "destination": "own_home"},
            ),
            fact(enrolled.version, "course_enrolled", date(2024, 3, 4), {"course_id": course.hex}),
            fact(
                completed.version, "course_completed", date(2024, 4, 4), {"course_id": course.hex}
            ),
            fact(
                job.version,
                "job_started",
                date(2024, 5, 1),
                {
                    "job_id": job.id.hex,
                    "employment": "supported_workshop",
                    "occupation": "night\x00baker",
                },
            ),
            fact(ended.version, "job_ended", date(2024, 5, 20), {"job_id": job.id.hex}),
            fact(
                withdrawn.version,
                "application_withdrawn",
                date(2024, 3, 10),
                {"institution_kind": "psychoneurological_boarding_home"},
                person,
            ),
            fact(
                admitted.version,
                "institutional_admission",
                date(2024, 5, 5),
                {"institution_kind": "hospital"},
                person,
            ),
        ]
    )
    person_facts = {str(entry_id(person, v)) for v in (withdrawn.version, admitted.version)}
    assert {entry: (p, prog) for entry, p, prog, *_ in facts.values()} == {
        entry: (str(person), None if entry in person_facts else program) for entry in facts
    }
    voided = {entry for entry, *_, voided_at in facts.values() if voided_at is not None}
    assert voided == {str(admission)}
    assert all(recorded for *_, recorded, _ in facts.values())
    people = {p: (r, json.loads(g)) for p, r, g in live["people"]}
    assert len(people) == 2
    assert people[str(person)] == ("orphan_care", ["orphan_care_leaver"])
    members = {(prog, p) for _, prog, p, _ in live["members"]}
    assert members == {(program, p) for p in people}
    assert (str(ep), program, str(person)) in [row[:3] for row in live["members"]]

    rebuilt = rebuild(ledger, stores.read, OutcomeFacts)
    assert rebuilt.position == ledger.recorder.max_notification_id()
    assert rows(OutcomeFacts(stores.read)) == live
