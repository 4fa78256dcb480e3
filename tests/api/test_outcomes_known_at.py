"""The new counts as known at a moment: links, cohorts, catalogue entries, mentors and voided
facts recorded later leave the report of that moment byte for byte as it was."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from domain.participant import Participant
from domain.tracks import entry_id
from tests.api.conftest import OWN, Api
from tests.api.world import a_world, day, episode, participant
from tests.projections import admin_commands


def indicators(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return {i["indicator"]: i for i in response.json()["indicators"]}


def test_links_cohorts_services_mentors_and_voidings_recorded_later_leave_the_report_as_it_was(
    api: Api,
) -> None:
    world = a_world(api)
    twin = participant(api, [OWN], name="Anna Petrova")
    twin_episode = episode(api, twin, world.own, [OWN])
    admitted = api.post(
        f"/v1/participants/{world.participant}/institutional-events",
        {"event": "admission", "institution_kind": "nursing_home", "occurred_on": day(20)},
    )
    assert admitted.status_code == 201, admitted.text
    query = {"program": world.own, "from": day(60), "to": day(0)}
    then = api.get("/v1/reports/outcomes", **query, min_position=admitted.json()["position"])
    moment = datetime.now(UTC).isoformat()

    ledger, program = api.ledger, UUID(world.own)
    admin_commands.link(ledger, UUID(world.participant), UUID(twin))
    admin_commands.define_cohort(ledger, program, "served", ["prison"])
    admin_commands.add_service(ledger, program, "life_skills_club", "skill_events", date.today())
    version = ledger.load(Participant, UUID(world.participant)).version
    admission = entry_id(UUID(world.participant), version - 1)  # the admission, before the link
    admin_commands.void_participant_entry(ledger, UUID(world.participant), admission)
    mentor = api.post(
        f"/v1/episodes/{twin_episode}/mentors", {"mentor_staff": "v-1", "occurred_on": day(30)}
    )
    skills = api.post(
        f"/v1/episodes/{world.episode}/services",
        {"kind": "workshop", "quantity": 3, "settlement": "Kopeysk", "occurred_on": day(30)},
    )
    assert skills.status_code == 201, skills.text

    now = indicators(
        api.get("/v1/reports/outcomes", **query, min_position=skills.json()["position"])
    )
    as_then = api.get("/v1/reports/outcomes", **query, known_at=moment)

    assert as_then.content == then.content
    was = indicators(then)
    assert (was["served"]["count"], was["returned_to_institution"]["count"]) == (2, 1)
    assert (was["mentors"]["count"], was["new_services"]["count"]) == (0, 0)
    assert now["served"]["cohort"] == {"prior_residence": ["prison"], "target_groups": []}
    assert (now["served"]["count"], now["served"]["cohort_size"]) == (0, 0)
    assert now["returned_to_institution"]["count"] == 0
    assert now["mentors"]["evidence"] == {
        "staff:v-1": [str(entry_id(UUID(twin_episode), mentor.json()["version"]))]
    }
    one = min(world.participant, twin)
    workshop = str(entry_id(UUID(world.episode), skills.json()["version"]))
    assert now["skill_events"]["evidence"] == {one: [workshop]}
    assert now["services_delivered"]["count"] == 3
    assert now["new_services"]["count"] == 1


def test_an_analyst_reads_the_new_counts_without_who_they_stand_for(api: Api) -> None:
    world = a_world(api)
    done = api.post(
        f"/v1/episodes/{world.episode}/mentors",
        {"mentor_participant_id": world.participant, "occurred_on": day(30)},
    )
    assert done.status_code == 422, done.text  # nobody mentors themselves
    mentor = participant(api, [OWN], name="Vera Mentor")
    done = api.post(
        f"/v1/episodes/{world.episode}/mentors",
        {"mentor_participant_id": mentor, "occurred_on": day(30)},
    )
    assert done.status_code == 201, done.text
    response = api.get(
        "/v1/reports/outcomes",
        role="analyst",
        program=world.own,
        min_position=done.json()["position"],
        **{"from": day(60), "to": day(0)},
    )
    counts = indicators(response)
    assert counts["mentors"] == {
        "indicator": "mentors",
        "count": 1,
        "target": None,
        "cohort": None,
        "cohort_size": None,
    }
    assert counts["mentors_once_participants"]["count"] == 0  # never in an episode
