"""A person registered but not yet taken into any program is known to the writer who registered
them and to admins, and to nobody else, until an episode is opened for them."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx
import pytest

from tests.api.conftest import OTHER, OWN, Api
from tests.api.world import day, participant, program

NAME = "Vera Ivanova"
REGISTRANT = {"role": "caseworker", "programs": [OWN], "sub": "caseworker-1"}
# Each may read records of a program, but did not register the person, and the person is in none.
OUTSIDERS = [
    ("caseworker", [OTHER], "caseworker-2"),
    ("caseworker", [OWN], "caseworker-3"),  # the registrant's own program: the person is not in it
    ("supervisor", [OTHER], "supervisor-2"),
    ("supervisor", ["*"], "supervisor-3"),
    ("auditor", [OWN], "auditor-1"),
    ("auditor", ["*"], "auditor-2"),
]
PERSON_COMMANDS = [
    ("consents", {"scope": "housing", "document_ref": "C-2", "occurred_on": day(3)}),
    (
        "personal-data/corrections",
        {"changes": {"phone": "+7 900 333"}, "reason": "She called", "occurred_on": day(3)},
    ),
    ("institutional-events", {"event": "admission", "institution_kind": "hospital",
                              "occurred_on": day(3)}),
]  # fmt: skip


@pytest.fixture
def own(api: Api) -> str:
    """Program OWN, the registrant's."""
    return program(api, OWN)


@pytest.fixture
def person(api: Api, own: str) -> str:
    """A person with personal data and a consent, registered by caseworker-1 of OWN."""
    return participant(api, [OWN], name=NAME)


def without_id(answer: httpx.Response, person: str) -> dict[str, Any]:
    body: dict[str, Any] = answer.json()
    body["detail"] = body.get("detail", "").replace(person, "ID")
    body.pop("request_id", None)
    return body


def access_records(api: Api, person: str) -> list[dict[str, Any]]:
    answer = api.get("/v1/audit/access", role="admin", participant=person, limit=500)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


@pytest.mark.parametrize(("role", "programs", "sub"), OUTSIDERS)
def test_other_staff_cannot_read_a_person_someone_else_registered_before_intake(
    api: Api, person: str, role: str, programs: list[str], sub: str
) -> None:
    unknown = str(uuid4())
    outsider = api.as_(role, programs, sub)
    for suffix, params in (("", {}), ("/history", {}), ("", {"reason": "checking a referral"})):
        answer = api.http.get(f"/v1/participants/{person}{suffix}", params=params, headers=outsider)
        nobody = api.http.get(
            f"/v1/participants/{unknown}{suffix}", params=params, headers=outsider
        )
        # Not even masked, and the very answer an unknown id gets: nothing says the person exists.
        assert answer.status_code == nobody.status_code == 404, answer.text
        assert without_id(answer, person) == without_id(nobody, unknown)
        assert answer.json()["code"] == "not_found"
        assert NAME not in answer.text
        assert "Kopeysk" not in answer.text
    assert access_records(api, person) == []


def test_before_intake_the_registering_writer_sees_the_person_in_full_and_admins_masked(
    api: Api, person: str
) -> None:
    own = api.http.get(f"/v1/participants/{person}", headers=api.as_(**REGISTRANT))
    assert own.status_code == 200, own.text
    assert own.json()["personal_data"]["full_name"] == NAME  # they typed it in
    admin = api.get(f"/v1/participants/{person}", role="admin")
    assert admin.status_code == 200, admin.text
    assert admin.json()["personal_data"]["full_name"] == "***"
    history = api.http.get(f"/v1/participants/{person}/history", headers=api.as_(**REGISTRANT))
    assert [line["type"] for line in history.json()["items"]] == [
        "Registered", "Recorded", "ConsentRecorded",
    ]  # fmt: skip
    assert NAME in history.text
    assert [(r["subject"], r["unmasked"]) for r in access_records(api, person)] == [
        ("caseworker-1", True), ("admin-1", False), ("caseworker-1", True),
    ]  # fmt: skip


@pytest.mark.parametrize(("path", "body"), PERSON_COMMANDS)
def test_before_intake_only_the_registering_writer_records_about_the_person(
    api: Api, person: str, path: str, body: dict[str, Any]
) -> None:
    head = api.log_head()
    for role, programs, sub in OUTSIDERS:
        answer = api.http.post(
            f"/v1/participants/{person}/{path}",
            json=body,
            headers=api.as_(role, programs, sub),
        )
        assert answer.status_code in (403, 404), (sub, answer.text)
        if role != "auditor":  # auditors record nothing anywhere: their role is refused first
            assert answer.json()["code"] == "not_found", (sub, answer.text)
    assert api.log_head() == head
    own = api.http.post(
        f"/v1/participants/{person}/{path}", json=body, headers=api.as_(**REGISTRANT)
    )
    assert own.status_code == 201, own.text


def test_any_writer_takes_a_registered_person_into_their_program_and_then_its_rule_applies(
    api: Api, own: str, person: str
) -> None:
    other = program(api, OTHER)
    intake = {"participant_id": person, "caseworker": "caseworker-2", "referral_source": "self",
              "occurred_on": day(1)}  # fmt: skip
    peer = api.as_("caseworker", [OTHER], "caseworker-2")
    # Only into a program the writer covers.
    refused = api.http.post("/v1/episodes", json={**intake, "program_id": own}, headers=peer)
    assert refused.status_code == 403, refused.text
    opened = api.http.post("/v1/episodes", json={**intake, "program_id": other}, headers=peer)
    assert opened.status_code == 201, opened.text

    seen = api.http.get(f"/v1/participants/{person}", headers=peer)
    assert seen.status_code == 200, seen.text
    assert seen.json()["personal_data"]["full_name"] == NAME
    # The person is now in OTHER only: its staff see them, the registrant of OWN no more.
    supervisor = api.http.get(
        f"/v1/participants/{person}", headers=api.as_("supervisor", [OTHER], "supervisor-2")
    )
    assert supervisor.status_code == 200, supervisor.text
    registrant = api.http.get(f"/v1/participants/{person}", headers=api.as_(**REGISTRANT))
    assert registrant.status_code == 404, registrant.text
    # And a second episode takes a writer of the program the person is in.
    again = api.http.post(
        "/v1/episodes", json={**intake, "program_id": own}, headers=api.as_(**REGISTRANT)
    )
    assert again.status_code == 404, again.text


def test_who_may_see_a_person_is_decided_on_today_whatever_moment_is_asked_about(
    api: Api, own: str, person: str
) -> None:
    lines = api.http.get(f"/v1/participants/{person}/history", headers=api.as_(**REGISTRANT))
    before_intake = lines.json()["items"][-1]["recorded_at"]
    colleague = api.as_("caseworker", [OWN], "caseworker-3")
    asked = api.http.get(
        f"/v1/participants/{person}", params={"known_at": before_intake}, headers=colleague
    )
    assert asked.status_code == 404, asked.text
    opened = api.http.post(
        "/v1/episodes",
        json={"participant_id": person, "program_id": own, "caseworker": "caseworker-3",
              "referral_source": "self", "occurred_on": day(1)},
        headers=colleague,
    )  # fmt: skip
    assert opened.status_code == 201, opened.text
    then = api.http.get(
        f"/v1/participants/{person}", params={"known_at": before_intake}, headers=colleague
    )
    assert then.status_code == 200, then.text
    assert then.json()["episodes"] == {}  # as known then
    assert then.json()["personal_data"]["full_name"] == NAME  # on a need to know today
