"""Personal data on a need to know, and a record of every read of a person."""

from __future__ import annotations

from uuid import uuid4

import pytest

from tests.api.conftest import Api
from tests.api.world import World, a_world

READS = [
    # role, reason given, sees personal data unmasked
    ("caseworker", None, True),
    ("supervisor", "weekly review", True),
    ("auditor", None, False),
    ("auditor", "verifying the housed count", True),
    ("admin", None, False),
    ("admin", "erasure request", True),
]


@pytest.fixture
def world(api: Api) -> World:
    return a_world(api)


def access_records(api: Api, participant: str) -> list[dict[str, object]]:
    response = api.get("/v1/audit/access", role="auditor", participant=participant, limit=500)
    assert response.status_code == 200, response.text
    items: list[dict[str, object]] = response.json()["items"]
    return items


@pytest.mark.parametrize("what", ["participant", "history"])
def test_each_read_by_each_role_leaves_exactly_one_record_with_its_reason(
    api: Api, world: World, what: str
) -> None:
    path = f"/v1/participants/{world.participant}" + ("/history" if what == "history" else "")
    for role, reason, unmasked in READS:
        before = access_records(api, world.participant)
        params = {"reason": reason} if reason else {}
        response = api.get(path, role=role, **params)
        assert response.status_code == 200, (role, response.text)
        after = access_records(api, world.participant)

        assert len(after) == len(before) + 1, role
        record = after[-1]
        assert (record["subject"], record["role"], record["what"]) == (f"{role}-1", role, what)
        assert (record["reason"], record["unmasked"]) == (reason, unmasked)
        assert record["request_id"] == response.headers["X-Request-ID"]
        shows_name = "Anna Petrova" in response.text
        assert shows_name == unmasked, (role, reason)


def test_an_analyst_or_another_programs_caseworker_reads_nothing_and_leaves_no_record(
    api: Api, world: World
) -> None:
    before = access_records(api, world.participant)
    assert api.get(f"/v1/participants/{world.participant}", role="analyst").status_code == 403
    stranger = api.http.get(
        f"/v1/participants/{world.participant}/history",
        headers=api.as_("caseworker", ["OTHER"], "caseworker-2"),
        params={"reason": "curious"},
    )
    # Not found, as an unknown id: a caseworker of another program does not learn of the person.
    assert stranger.status_code == 404
    assert stranger.json()["code"] == "not_found"
    assert access_records(api, world.participant) == before


def test_a_refusal_says_nothing_about_whether_the_person_exists(api: Api, world: World) -> None:
    unknown = str(uuid4())
    for role, programs, status in (("analyst", ["OWN"], 403), ("caseworker", ["OTHER"], 404)):
        caller = api.as_(role, programs, f"{role}-2")
        known = api.http.get(f"/v1/participants/{world.participant}/history", headers=caller)
        other = api.http.get(f"/v1/participants/{unknown}/history", headers=caller)
        assert known.status_code == other.status_code == status, role
        assert known.json()["code"] == other.json()["code"], role
        detail = (known.json()["detail"] or "").replace(world.participant, "ID")
        assert detail == (other.json()["detail"] or "").replace(unknown, "ID"), role


def test_only_admins_and_auditors_read_the_access_log(api: Api, world: World) -> None:
    for role, status in (("caseworker", 403), ("analyst", 403), ("admin", 200), ("auditor", 200)):
        response = api.get("/v1/audit/access", role=role, participant=world.participant)
        assert response.status_code == status, role
