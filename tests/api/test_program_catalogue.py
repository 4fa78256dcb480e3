"""A program's own services and cohorts, through HTTP: what an admin adds to a program's catalogue
can be delivered in that program and nowhere else, and an indicator's cohort is the program's."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.program import Program
from tests.api.conftest import OTHER, Api
from tests.api.world import a_world, day

PEER_GROUP = {
    "kind": "peer_group",
    "name": "Peer support group",
    "unit": "meeting",
    "indicator": "skill_events",
    "occurred_on": day(3),
}


def _service(kind: str) -> dict[str, Any]:
    return {"kind": kind, "settlement": "Bredy", "occurred_on": day(1)}


def test_a_service_added_to_a_catalogue_is_delivered_in_its_program_only(api: Api) -> None:
    world = a_world(api)
    added = api.post(f"/v1/programs/{world.own}/services", PEER_GROUP, role="admin")
    assert added.status_code == 201, added.text
    assert added.json()["id"] == world.own
    assert added.headers["location"] == f"/v1/programs/{world.own}"
    program = api.ledger.load(Program, UUID(world.own))
    assert program.catalogue == {
        "peer_group": {"name": "Peer support group", "unit": "meeting", "indicator": "skill_events"}
    }

    delivered = api.post(f"/v1/episodes/{world.episode}/services", _service("peer_group"))
    assert delivered.status_code == 201, delivered.text
    [event] = api.ledger.recorded_events(UUID(world.episode), after=delivered.json()["version"] - 1)
    assert (type(event).__name__, event.kind) == ("ServiceDelivered", "peer_group")

    head = api.log_head()
    elsewhere = api.http.post(
        f"/v1/episodes/{world.other_episode}/services",
        json=_service("peer_group"),
        headers=api.as_("caseworker", [OTHER], "caseworker-2"),
    )
    assert elsewhere.status_code == 422, elsewhere.text
    problem = elsewhere.json()
    assert problem["code"] == "service_not_offered"
    assert "'peer_group'" in problem["detail"]
    assert f"program {OTHER}" in problem["detail"]
    assert "POST /v1/programs/{program_id}/services" in problem["detail"]
    assert api.log_head() == head


def test_a_built_in_kind_is_still_delivered_and_an_unknown_one_names_the_catalogue(
    api: Api,
) -> None:
    world = a_world(api)
    for kind in ("home_care", "consultation_lawyer", "workshop"):
        built_in = api.post(f"/v1/episodes/{world.episode}/services", _service(kind))
        assert built_in.status_code == 201, (kind, built_in.text)
    head = api.log_head()
    unknown = api.post(f"/v1/episodes/{world.episode}/services", _service("massage"))
    assert unknown.status_code == 422, unknown.text
    assert unknown.json()["code"] == "service_not_offered"
    assert "/v1/programs/{program_id}/services" in unknown.json()["detail"]
    assert api.log_head() == head


def test_a_kind_offered_already_or_built_in_cannot_be_added_again(api: Api) -> None:
    world = a_world(api)
    assert (
        api.post(f"/v1/programs/{world.own}/services", PEER_GROUP, role="admin").status_code == 201
    )
    head = api.log_head()
    for kind in ("peer_group", "home_care"):
        again = api.post(
            f"/v1/programs/{world.own}/services", {**PEER_GROUP, "kind": kind}, role="admin"
        )
        assert again.status_code == 409, again.text
        assert again.json()["code"] == "service_in_catalogue"
        assert repr(kind) in again.json()["detail"]
    assert api.log_head() == head
    # The same kind in another program is that program's own.
    other = api.post(f"/v1/programs/{world.other}/services", PEER_GROUP, role="admin")
    assert other.status_code == 201, other.text


def test_a_kind_that_is_not_2_to_64_of_a_z_0_9_and_underscores_is_refused(api: Api) -> None:
    world = a_world(api)
    head = api.log_head()
    for kind in ("peer\x00group", "Peer_group", "p" * 65, "peer🚌", "peer-group", "p", " peer"):
        added = api.post(
            f"/v1/programs/{world.own}/services", {**PEER_GROUP, "kind": kind}, role="admin"
        )
        delivered = api.post(f"/v1/episodes/{world.episode}/services", _service(kind))
        for refused in (added, delivered):
            assert refused.status_code == 422, (kind, refused.text)
            assert refused.json()["code"] == "invalid_request"
            assert [e["loc"] for e in refused.json()["errors"]] == [["body", "kind"]]
    assert api.log_head() == head
    longest = api.post(
        f"/v1/programs/{world.own}/services", {**PEER_GROUP, "kind": "p" * 64}, role="admin"
    )
    assert longest.status_code == 201, longest.text


def test_a_service_added_without_a_date_is_added_today_and_without_an_indicator_feeds_none(
    api: Api,
) -> None:
    world = a_world(api)
    body = {"kind": "laundry", "name": "Laundry", "unit": "load"}
    added = api.post(f"/v1/programs/{world.own}/services", body, role="admin")
    assert added.status_code == 201, added.text
    [event] = api.ledger.recorded_events(UUID(world.own), after=added.json()["version"] - 1)
    assert (event.kind, event.indicator, event.occurred_on.isoformat()) == (
        "laundry",
        None,
        day(0),
    )


def test_a_cohort_is_defined_and_replaced_by_the_next_one(api: Api) -> None:
    world = a_world(api)
    path = f"/v1/programs/{world.own}/cohorts"
    first = {
        "indicator": "no_return_to_institution",
        "prior_residence": ["inpatient_institution"],
        "reason": "the grant counts those who came from a boarding home",
    }
    defined = api.post(path, first, role="admin")
    assert defined.status_code == 201, defined.text
    assert api.ledger.load(Program, UUID(world.own)).cohorts == {
        "no_return_to_institution": {
            "prior_residence": ["inpatient_institution"],
            "target_groups": [],
        }
    }
    second = {**first, "target_groups": ["mental_disability"], "reason": "grant amended"}
    assert api.post(path, second, role="admin").status_code == 201
    assert api.ledger.load(Program, UUID(world.own)).cohorts == {
        "no_return_to_institution": {
            "prior_residence": ["inpatient_institution"],
            "target_groups": ["mental_disability"],
        }
    }
    head = api.log_head()
    for wrong in (
        {**first, "indicator": "happiness"},
        {**first, "prior_residence": ["moon"]},
        {**first, "reason": " "},
        {**first, "reason": "x\x00"},
    ):
        refused = api.post(path, wrong, role="admin")
        assert refused.status_code == 422, (wrong, refused.text)
        assert refused.json()["code"] == "invalid_request"
    unknown = api.post(f"/v1/programs/{UUID(int=7)}/cohorts", first, role="admin")
    assert unknown.status_code == 404, unknown.text
    assert api.log_head() == head


def test_only_an_admin_adds_services_and_defines_cohorts(api: Api) -> None:
    world = a_world(api)
    head = api.log_head()
    cohort = {"indicator": "housed", "target_groups": ["homeless"], "reason": "why"}
    for role in ("caseworker", "supervisor", "auditor", "analyst", None):
        for path, body in (("services", PEER_GROUP), ("cohorts", cohort)):
            refused = api.post(f"/v1/programs/{world.own}/{path}", body, role=role)
            assert refused.status_code == (401 if role is None else 403), (role, refused.text)
            if role is not None:
                assert refused.json()["code"] == "forbidden"
                assert "admin" in refused.json()["title"]
    assert api.log_head() == head


def test_a_program_defined_with_its_services_and_cohorts_offers_them_at_once(api: Api) -> None:
    world = a_world(api)
    cohort = {"indicator": "housed", "target_groups": ["homeless"], "reason": "who it is for"}
    body = {
        "code": "CAT",
        "name": "With a catalogue",
        "financing": "grant",
        "period_start": day(30),
        "period_end": day(-300),
        "services": [PEER_GROUP, {"kind": "laundry", "name": "Laundry", "unit": "load"}],
        "cohorts": [cohort],
    }
    defined = api.post("/v1/programs", body, role="admin")
    assert defined.status_code == 201, defined.text
    assert defined.json()["version"] == 4
    program = api.ledger.load(Program, UUID(defined.json()["id"]))
    assert sorted(program.catalogue) == ["laundry", "peer_group"]
    assert program.catalogue["laundry"]["indicator"] is None
    assert program.cohorts == {"housed": {"prior_residence": [], "target_groups": ["homeless"]}}
    # Still the others' own: the first program does not offer them.
    head = api.log_head()
    assert (
        api.post(f"/v1/episodes/{world.episode}/services", _service("laundry")).status_code == 422
    )
    # One refused entry refuses the whole program: nothing of it is written.
    twice = {**body, "code": "CAT2", "services": [PEER_GROUP, PEER_GROUP]}
    refused = api.post("/v1/programs", twice, role="admin")
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "service_in_catalogue"
    assert api.log_head() == head
