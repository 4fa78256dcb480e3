"""One spelling of ids in every answer (dashed UUIDs), and refusals that say how to fix them."""

from __future__ import annotations

import re
from typing import Any

from tests.api.conftest import Api
from tests.api.world import a_world, day

# 32 hex digits in a row, not part of a longer run (a hash) nor of a dashed UUID.
BARE_HEX = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{32}(?![0-9a-fA-F])")


def bare_ids(value: Any, where: str = "") -> list[str]:
    """Where an answer spells an id as bare hex. A request id is text as the client sent it
    (X-Request-ID), or 128 random bits the server made: not a record's id."""
    if isinstance(value, dict):
        found = [f"{where}/{k}" for k in value if BARE_HEX.search(str(k))]
        for key, inner in value.items():
            if key != "request_id":
                found += bare_ids(inner, f"{where}/{key}")
        return found
    if isinstance(value, list):
        return [f for i, inner in enumerate(value) for f in bare_ids(inner, f"{where}/{i}")]
    return [where] if isinstance(value, str) and BARE_HEX.search(value) else []


def test_every_id_of_participant_episode_history_and_access_reads_is_dashed(api: Api) -> None:
    world = a_world(api)
    ep = f"/v1/episodes/{world.episode}"
    assert api.post(ep + "/placements", {"facility_id": world.facility}).status_code == 201
    assert (
        api.post(ep + "/services", {"kind": "home_care", "settlement": "Kopeysk"}).status_code
        == 201
    )
    person = f"/v1/participants/{world.participant}"
    reads = {
        "participant": api.get(person),
        "participant for audit": api.get(person, role="auditor", reason="complaint 17"),
        "history": api.get(person + "/history"),
        "episode": api.get(ep),
        "episode history": api.get(ep + "/history"),
        "access log": api.get("/v1/audit/access", role="auditor", participant=world.participant),
        "occupancy": api.get(f"/v1/facilities/{world.facility}/occupancy"),
    }
    for name, response in reads.items():
        assert response.status_code == 200, (name, response.text)
        assert bare_ids(response.json()) == [], name
    assert reads["participant"].json()["episodes"] == {world.own: [world.episode]}
    joined = [i for i in reads["history"].json()["items"] if i["type"] == "JoinedProgram"]
    assert joined[0]["data"]["episode_id"] == world.episode


def test_opening_without_consent_names_the_consent_endpoint(api: Api) -> None:
    world = a_world(api)
    person = api.post(
        "/v1/participants",
        {"target_groups": ["homeless"], "settlement": "Miass", "birth_year": 1980,
         "prior_residence": "street"},
    ).json()["id"]  # fmt: skip
    body = {"participant_id": person, "program_id": world.own, "caseworker": "caseworker-1",
            "referral_source": "self"}  # fmt: skip

    refused = api.post("/v1/episodes", body)

    assert refused.status_code == 409
    problem = refused.json()
    assert problem["code"] == "consent_required"
    assert "POST /v1/participants/{participant_id}/consents" in problem["detail"]


def test_a_field_sent_to_the_wrong_command_names_where_it_belongs(api: Api) -> None:
    world = a_world(api)
    ep = f"/v1/episodes/{world.episode}"
    cases = {
        (ep + "/services", "program_id"): ("POST /v1/episodes",),
        (ep + "/caseworker", "personal_data"): ("POST /v1/participants",),
        (ep + "/services", "full_name"): ("`personal_data.full_name` of POST /v1/participants",),
        (ep + "/services", "ocurred_on"): ("did you mean `occurred_on`",),
        (ep + "/services", "zzz"): ("it takes: occurred_on, kind, quantity, settlement",),
    }
    for (path, field), hints in cases.items():
        body = {"kind": "home_care", "settlement": "Kopeysk", "caseworker": "c", field: "x"}
        if path.endswith("/caseworker"):
            body = {"caseworker": "c", field: {"full_name": "x"}}
        refused = api.post(path, body)
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "invalid_request"
        errors = [e for e in refused.json()["errors"] if e["loc"] == ["body", field]]
        assert [e["type"] for e in errors] == ["extra_forbidden"], refused.text
        for hint in hints:
            assert hint in errors[0]["msg"], (field, errors[0]["msg"])


def test_a_field_in_a_batch_names_where_it_belongs(api: Api) -> None:
    world = a_world(api)
    item = {
        "path": f"/v1/episodes/{world.episode}/services",
        "body": {"kind": "home_care", "settlement": "K", "program_id": world.own},
        "idempotency_key": "b-1",
    }
    (result,) = api.post("/v1/batch", {"commands": [item]}).json()["results"]
    (error,) = result["problem"]["errors"]
    assert "it belongs to: POST /v1/episodes" in error["msg"]


def test_an_analysts_refusal_names_the_role_and_what_it_reads(api: Api) -> None:
    world = a_world(api)
    refusals = [
        api.get(f"/v1/participants/{world.participant}", role="analyst"),
        api.get(f"/v1/episodes/{world.episode}", role="analyst"),
        api.get("/v1/caseloads/caseworker-1", role="analyst"),
        api.post(f"/v1/episodes/{world.episode}/services",
                 {"kind": "home_care", "settlement": "K", "occurred_on": day(0)}, role="analyst"),
    ]  # fmt: skip
    for refused in refusals:
        assert refused.status_code == 403, refused.text
        problem = refused.json()
        assert problem["code"] == "forbidden"
        assert "Your role: analyst." in problem["detail"]
        assert "Analysts read aggregate reports only" in problem["detail"]
        assert "/v1/reports/outcomes" in problem["detail"]
    # a report of a program the analyst does not cover is still about programs
    other = api.get("/v1/reports/services", role="analyst", program=world.other).json()
    assert (other["code"], other["title"]) == ("forbidden", "Not within your programs")
