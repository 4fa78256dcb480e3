"""A person's consent or institutional fact recorded in error is voided with a reason: counts and
rules skip it from then on, and history keeps both, the entry marked voided."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from tests.api.conftest import OTHER, OWN, Api
from tests.api.world import World, a_world, day, participant

WHY = "Entered on Anna Petrova's record by mistake: it was her neighbour's admission"


@pytest.fixture
def world(api: Api) -> World:
    return a_world(api)


def entries(api: Api, person: str, kind: str, role: str = "caseworker") -> list[dict[str, Any]]:
    answer = api.get(f"/v1/participants/{person}/history", role=role, limit=500)
    assert answer.status_code == 200, answer.text
    return [line for line in answer.json()["items"] if line["type"] == kind]


def void(api: Api, person: str, event_id: str, reason: str = WHY, role: str = "caseworker") -> Any:
    return api.post(
        f"/v1/participants/{person}/entries/{event_id}/void", {"reason": reason}, role=role
    )


def institutional(api: Api, person: str, event: str) -> str:
    """Record the fact, and give its event id as the person's history names it."""
    body = {
        "event": event,
        "institution_kind": "psychoneurological_boarding_home",
        "occurred_on": day(10),
    }
    answer = api.post(f"/v1/participants/{person}/institutional-events", body)
    assert answer.status_code == 201, answer.text
    kind = "InstitutionalAdmission" if event == "admission" else "InstitutionalApplicationWithdrawn"
    return str(entries(api, person, kind)[-1]["event_id"])


def counted(api: Api, world: World, position: int, **known_at: str) -> dict[str, dict[str, Any]]:
    """Indicator -> participant -> proving event ids, over the whole period so far."""
    answer = api.get(
        "/v1/reports/outcomes",
        role="supervisor",
        program=world.own,
        **{"from": day(400), "to": day(0)},
        min_position=position,
        **known_at,
    )
    assert answer.status_code == 200, answer.text
    return {i["indicator"]: i["evidence"] for i in answer.json()["indicators"]}


def test_a_wrong_admission_voided_no_longer_counts_as_a_return(api: Api, world: World) -> None:
    admission = institutional(api, world.participant, "admission")
    before = counted(api, world, api.log_head())
    assert before["returned_to_institution"] == {world.participant: [admission]}
    assert world.participant not in before["no_return_to_institution"]

    answer = void(api, world.participant, admission)
    assert answer.status_code == 201, answer.text
    assert answer.json()["id"] == world.participant
    after = counted(api, world, answer.json()["position"])
    assert after["returned_to_institution"] == {}
    assert world.participant in after["no_return_to_institution"]

    [line] = entries(api, world.participant, "InstitutionalAdmission")
    assert line["voided"] is True
    [voided] = entries(api, world.participant, "EntryVoided")
    assert (voided["data"]["event_id"], voided["reason"], voided["voided"]) == (
        admission,
        WHY,
        False,
    )
    [masked] = entries(api, world.participant, "EntryVoided", role="auditor")
    assert masked["reason"] == "***"
    assert WHY not in str(masked)

    # As known before the void, the admission counted and was not marked voided.
    then = line["recorded_at"]
    assert (
        counted(api, world, 0, known_at=then)["returned_to_institution"]
        == before["returned_to_institution"]
    )
    history_then = api.get(
        f"/v1/participants/{world.participant}/history", known_at=then, limit=500
    ).json()["items"]
    [known] = [line for line in history_then if line["type"] == "InstitutionalAdmission"]
    assert known["voided"] is False
    assert not [line for line in history_then if line["type"] == "EntryVoided"]


def test_a_voided_withdrawal_no_longer_counts_and_the_others_still_do(
    api: Api, world: World
) -> None:
    wrong = institutional(api, world.participant, "application_withdrawn")
    right = institutional(api, world.participant, "application_withdrawn")
    before = counted(api, world, api.log_head())
    assert before["applications_withdrawn"] == {world.participant: [wrong, right]}

    answer = void(api, world.participant, wrong)
    assert answer.status_code == 201, answer.text
    after = counted(api, world, answer.json()["position"])
    assert after["applications_withdrawn"] == {world.participant: [right]}
    lines = entries(api, world.participant, "InstitutionalApplicationWithdrawn")
    assert [line["voided"] for line in lines] == [True, False]


def test_a_consent_recorded_in_error_and_voided_is_gone_and_an_episode_needs_one(
    api: Api, world: World
) -> None:
    person = participant(api, [OWN], name="Vera Novikova")
    [consent] = entries(api, person, "ConsentRecorded")
    answer = void(api, person, consent["event_id"], reason="The form was signed by her sister")
    assert answer.status_code == 201, answer.text
    record = api.get(f"/v1/participants/{person}").json()
    assert record["consents"] == []
    assert entries(api, person, "ConsentRecorded")[0]["voided"] is True

    opened = api.post(
        "/v1/episodes",
        {"participant_id": person, "program_id": world.own, "caseworker": "caseworker-1",
         "referral_source": "self", "occurred_on": day(1)},
    )  # fmt: skip
    assert opened.status_code in (409, 422), opened.text
    assert opened.json()["code"] == "consent_required"


def test_an_entry_is_voided_once_and_only_a_consent_or_an_institutional_fact(
    api: Api, world: World
) -> None:
    admission = institutional(api, world.participant, "admission")
    assert void(api, world.participant, admission).status_code == 201
    head = api.log_head()
    twice = void(api, world.participant, admission)
    assert (twice.status_code, twice.json()["code"]) == (409, "entry_not_voidable")
    assert "already voided" in twice.json()["detail"]

    [registration] = entries(api, world.participant, "Registered")
    [the_void] = entries(api, world.participant, "EntryVoided")
    for entry in (registration, the_void):
        refused = void(api, world.participant, entry["event_id"])
        assert (refused.status_code, refused.json()["code"]) == (409, "entry_not_voidable")
        assert "only those" in refused.json()["detail"]
    assert api.log_head() == head


def test_an_unknown_entry_or_one_of_another_record_is_not_found(api: Api, world: World) -> None:
    head = api.log_head()
    unknown = void(api, world.participant, str(uuid4()))
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")
    # An episode's entry is voided on the episode, not here.
    [opened] = [
        line
        for line in api.get(f"/v1/participants/{world.participant}/history").json()["items"]
        if line["type"] == "Opened"
    ]
    elsewhere = void(api, world.participant, opened["event_id"])
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (404, "not_found")
    assert api.log_head() == head


def test_only_a_writer_who_may_see_the_person_voids_their_entry(api: Api, world: World) -> None:
    admission = institutional(api, world.participant, "admission")
    head = api.log_head()
    for role in ("auditor", "analyst", "admin"):
        refused = void(api, world.participant, admission, role=role)
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden"), role
    outsider = api.http.post(
        f"/v1/participants/{world.participant}/entries/{admission}/void",
        json={"reason": WHY},
        headers=api.as_("caseworker", [OTHER]),
    )
    unknown = api.http.post(
        f"/v1/participants/{uuid4()}/entries/{admission}/void",
        json={"reason": WHY},
        headers=api.as_("caseworker", [OTHER]),
    )
    assert outsider.status_code == unknown.status_code == 404
    assert outsider.json()["code"] == unknown.json()["code"] == "not_found"
    assert api.log_head() == head
    assert void(api, world.participant, admission, role="supervisor").status_code == 201


@pytest.mark.parametrize("reason", ["", "  ", "a\u0000b", "x" * 501])
def test_a_void_without_a_storable_reason_is_refused(api: Api, world: World, reason: str) -> None:
    admission = institutional(api, world.participant, "admission")
    head = api.log_head()
    answer = void(api, world.participant, admission, reason=reason)
    assert (answer.status_code, answer.json()["code"]) == (422, "invalid_request")
    assert api.log_head() == head
