"""Finding programs, facilities and episodes over HTTP, within the caller's programs and role."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx
import pytest

from domain.program import program_id_for
from tests.api.conftest import OTHER, OWN, Api
from tests.api.world import World, a_world, day, episode, participant


@pytest.fixture
def world(api: Api) -> World:
    return a_world(api)


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def refused(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


def a_facility(api: Api, name: str, settlement: str, kind: str, programs: list[str]) -> str:
    response = api.post(
        "/v1/facilities",
        {
            "kind": kind,
            "name": name,
            "settlement": settlement,
            "capacity": 2,
            "occurred_on": day(300),
            "programs": programs,
        },
        role="admin",
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


# Programs


def test_the_location_of_a_defined_program_answers_the_program(api: Api) -> None:
    response = api.post(
        "/v1/programs",
        {
            "code": "Step",
            "name": "Step by step",
            "financing": "grant",
            "period_start": "2024-01-01",
            "period_end": "2024-12-31",
            "targets": {"served": 200, "skill_events": 50},
            "course_start_limit_days": 7,
        },
        role="admin",
    )
    assert response.status_code == 201, response.text
    read = ok(api.get(response.headers["Location"], role="admin"))
    assert read == {
        "id": str(program_id_for("STEP")),
        "code": "Step",
        "name": "Step by step",
        "financing": "grant",
        "period_start": "2024-01-01",
        "period_end": "2024-12-31",
        "course_start_limit_days": 7,
        "targets": {"served": 200, "skill_events": 50},
        "catalogue": {},
        "cohorts": {},
        "version": 1,
        "position": read["position"],
    }
    assert read["position"] >= response.json()["position"]
    assert ok(api.get("/v1/programs/sTeP", role="admin")) == read  # by its code, in any case


def test_a_program_is_found_by_its_code_in_any_case(api: Api, world: World) -> None:
    head = api.log_head()
    for code in (OWN, OWN.lower()):
        found = ok(api.get("/v1/programs", role="admin", code=code, min_position=head))
        assert [p["id"] for p in found["programs"]] == [world.own]
        assert found["programs"][0]["code"] == OWN
    assert ok(api.get("/v1/programs", role="admin", code="NOPE"))["programs"] == []


def test_each_role_lists_and_reads_only_the_programs_it_covers(api: Api, world: World) -> None:
    head = api.log_head()
    listed = ok(api.get("/v1/programs", role="admin", min_position=head))
    assert {p["id"] for p in listed["programs"]} == {world.own, world.other}
    for role in ("caseworker", "supervisor", "auditor", "analyst"):
        mine = ok(api.get("/v1/programs", role=role))["programs"]
        assert [p["code"] for p in mine] == [OWN], role
        assert ok(api.get(f"/v1/programs/{world.own}", role=role))["code"] == OWN
        refused(api.get(f"/v1/programs/{world.other}", role=role), 403, "forbidden")
        refused(api.get(f"/v1/programs/{OTHER}", role=role), 403, "forbidden")


def test_a_program_reads_as_it_was_known_before_its_targets_were_revised(
    api: Api, world: World
) -> None:
    before = ok(api.get(f"/v1/programs/{OWN}"))
    known_at = _now(api)
    revised = api.post(
        f"/v1/programs/{world.own}/targets",
        {"targets": {"served": 300}, "reason": "grant amended"},
        role="admin",
    )
    assert revised.status_code == 201, revised.text
    now = ok(api.get(f"/v1/programs/{OWN}"))
    assert (now["targets"]["served"], now["version"]) == (300, 2)
    then = ok(api.get(f"/v1/programs/{OWN}", known_at=known_at))
    assert (then["targets"], then["version"]) == (before["targets"], 1)
    refused(api.get(f"/v1/programs/{OWN}", known_at="2000-01-01T00:00:00Z"), 404, "not_found")


def _now(api: Api) -> str:
    """A moment after everything recorded so far (the store's clock, not the test's)."""
    [last] = api.ledger.recorder.select_notifications(api.log_head(), 1)
    return str(api.ledger.mapper.to_domain_event(last).timestamp.isoformat())


def test_an_unknown_program_code_or_id_is_not_found_wherever_a_program_is_named(
    api: Api, world: World
) -> None:
    unknown = str(uuid4())
    for ref in ("NOPE", unknown):
        refused(api.get(f"/v1/programs/{ref}", role="admin"), 404, "not_found")
        for path, extra in (
            ("/v1/reports/services", {}),
            ("/v1/reports/outcomes", {"from": day(30), "to": day(0)}),
            ("/v1/episodes", {}),
            ("/v1/facilities", {}),
        ):
            body = refused(api.get(path, role="admin", program=ref, **extra), 404, "not_found")
            assert ref in body["title"], path


def test_reports_take_a_program_code_where_they_take_its_id(api: Api, world: World) -> None:
    written = api.ledger.recorder.max_notification_id()
    for ref in (world.own, OWN, OWN.lower()):
        services = ok(api.get("/v1/reports/services", program=ref))
        assert services["program"] == world.own
        outcomes = ok(
            api.get(
                "/v1/reports/outcomes",
                program=ref,
                min_position=written,
                **{"from": day(60), "to": day(0)},
            )
        )
        assert outcomes["program"] == world.own
        served = {i["indicator"]: i["count"] for i in outcomes["indicators"]}["served"]
        assert served == 1
    refused(api.get("/v1/reports/services", program=OTHER), 403, "forbidden")


# Facilities


def test_a_registered_facility_answers_where_its_location_points_with_beds_free_today(
    api: Api, world: World
) -> None:
    response = api.post(
        "/v1/facilities",
        {
            "kind": "training_apartment",
            "name": "Flat on Lenina",
            "settlement": "Kopeysk",
            "capacity": 1,
            "occurred_on": day(100),
            "programs": [world.own],
        },
        role="admin",
    )
    assert response.status_code == 201, response.text
    location = response.headers["Location"]
    position = response.json()["position"]
    flat = ok(api.get(location, min_position=position))
    assert flat == {
        "id": response.json()["id"],
        "name": "Flat on Lenina",
        "kind": "training_apartment",
        "settlement": "Kopeysk",
        "programs": [world.own],
        "on": day(0),
        "capacity": 1,
        "residents": 0,
        "free_beds": 1,
        "position": flat["position"],
    }
    placed = api.post(
        f"/v1/episodes/{world.episode}/placements",
        {"facility_id": flat["id"], "occurred_on": day(5)},
    )
    assert placed.status_code == 201, placed.text
    after = ok(api.get(location, min_position=placed.json()["position"]))
    assert (after["residents"], after["free_beds"]) == (1, 0)
    listed = ok(api.get("/v1/facilities", program=OWN, kind="training_apartment"))
    assert [(f["id"], f["free_beds"]) for f in listed["facilities"]] == [(flat["id"], 0)]


def test_facilities_are_found_by_program_settlement_and_kind(api: Api, world: World) -> None:
    own = a_facility(api, "Own shelter", "Bredy", "shelter", [world.own])
    other = a_facility(api, "Other flat", "Kizilskoe", "supported_living_flat", [world.other])
    both = a_facility(api, "Both", "Bredy", "shelter", [world.own, world.other])
    shared = world.facility  # registered without programs: every program's
    head = api.log_head()

    def ids(role: str = "admin", **params: Any) -> set[str]:
        found = ok(api.get("/v1/facilities", role=role, min_position=head, **params))
        return {f["id"] for f in found["facilities"]}

    assert ids() == {own, other, both, shared}
    assert ids(program=OWN) == ids(program=world.own) == {own, both, shared}
    assert ids(program=OTHER.lower()) == {other, both, shared}
    assert ids(settlement="Bredy") == {own, both}
    assert ids(settlement="bredy") == set()  # a settlement is matched as written
    assert ids(kind="supported_living_flat") == {other}
    assert ids(program=OWN, settlement="Bredy", kind="shelter") == {own, both}
    served = ok(api.get(f"/v1/facilities/{both}"))["programs"]
    assert sorted(served) == sorted([world.own, world.other])


def test_a_caseworker_sees_no_facility_of_another_program_alone(api: Api, world: World) -> None:
    other = a_facility(api, "Other flat", "Kizilskoe", "supported_living_flat", [world.other])
    head = api.log_head()
    for role in ("caseworker", "analyst"):
        found = ok(api.get("/v1/facilities", role=role, min_position=head))
        assert [f["id"] for f in found["facilities"]] == [world.facility], role
        refused(api.get(f"/v1/facilities/{other}", role=role), 403, "forbidden")
        refused(api.get("/v1/facilities", role=role, program=OTHER), 403, "forbidden")
    assert ok(api.get(f"/v1/facilities/{other}", role="admin"))["id"] == other
    refused(api.get(f"/v1/facilities/{uuid4()}", role="admin"), 404, "not_found")


def test_a_facility_cannot_serve_a_program_that_does_not_exist(api: Api, world: World) -> None:
    head = api.log_head()
    response = api.post(
        "/v1/facilities",
        {
            "kind": "shelter",
            "name": "Nowhere",
            "settlement": "Bredy",
            "capacity": 2,
            "occurred_on": day(1),
            "programs": [world.own, str(uuid4())],
        },
        role="admin",
    )
    refused(response, 404, "not_found")
    assert api.log_head() == head


# Episodes


def test_episodes_are_found_by_program_caseworker_status_and_participant(
    api: Api, world: World
) -> None:
    second = participant(api, [OWN], name="Vera Ivanova")
    closed = episode(api, second, world.own, [OWN])
    reassigned = api.post(
        f"/v1/episodes/{world.episode}/caseworker", {"caseworker": "cw-9", "occurred_on": day(1)}
    )
    assert reassigned.status_code == 201, reassigned.text
    closing = api.post(
        f"/v1/episodes/{closed}/close",
        {"reason": "goals_achieved", "destination": "own_home", "occurred_on": day(1)},
    )
    assert closing.status_code == 201, closing.text
    head = api.log_head()

    def ids(role: str = "admin", **params: Any) -> list[str]:
        found = ok(api.get("/v1/episodes", role=role, min_position=head, **params))
        return [e["id"] for e in found["episodes"]]

    assert ids() == [world.episode, world.other_episode, closed]  # in the order recorded
    assert ids(program=OWN) == ids(program=world.own) == [world.episode, closed]
    assert ids(caseworker="cw-9") == [world.episode]  # the caseworker now
    assert ids(caseworker="caseworker-1") == [world.other_episode, closed]
    assert ids(status="open") == [world.episode, world.other_episode]
    assert ids(status="closed") == [closed]
    assert ids(participant=second) == [closed]
    assert ids(program=OWN, status="open", caseworker="cw-9") == [world.episode]
    [listed] = ok(api.get("/v1/episodes", participant=second))["episodes"]
    assert listed == {
        "id": closed,
        "program_id": world.own,
        "participant_id": second,
        "caseworker": "caseworker-1",
        "opened_on": day(50),
        "closed_on": day(1),
    }


def test_episodes_are_listed_a_page_at_a_time(api: Api, world: World) -> None:
    opened = [world.episode]
    for n in range(4):
        person = participant(api, [OWN], name=f"Person {n}")
        opened.append(episode(api, person, world.own, [OWN]))
    head = api.log_head()
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2, "program": OWN, "min_position": head}
        if cursor:
            params["cursor"] = cursor
        found = ok(api.get("/v1/episodes", **params))
        seen += [e["id"] for e in found["episodes"]]
        pages += 1
        cursor = found["next_cursor"]
        if cursor is None:
            break
    assert (seen, pages) == (opened, 3)


def test_a_caseworker_lists_nothing_of_another_programs_episodes(api: Api, world: World) -> None:
    stranger = ok(api.get(f"/v1/episodes/{world.other_episode}", role="admin"))["participant_id"]
    head = api.log_head()
    for role in ("caseworker", "supervisor", "auditor"):
        mine = ok(api.get("/v1/episodes", role=role, min_position=head))["episodes"]
        assert [e["id"] for e in mine] == [world.episode], role
        refused(api.get("/v1/episodes", role=role, program=OTHER), 403, "forbidden")
        refused(api.get("/v1/episodes", role=role, program=world.other), 403, "forbidden")
        assert ok(api.get("/v1/episodes", role=role, participant=stranger))["episodes"] == []
        assert ok(api.get("/v1/episodes", role=role, caseworker="caseworker-1"))["episodes"] == [
            e for e in mine if e["caseworker"] == "caseworker-1"
        ]


def test_an_analyst_lists_no_episode(api: Api, world: World) -> None:
    for path in ("/v1/episodes", f"/v1/participants/{world.participant}/episodes"):
        body = refused(api.get(path, role="analyst"), 403, "forbidden")
        assert "role" in body["title"]


def test_a_persons_episodes_are_those_of_programs_the_caller_may_read(
    api: Api, world: World
) -> None:
    both = [OWN, OTHER]
    second = episode(api, world.participant, world.other, both)
    head = api.log_head()
    path = f"/v1/participants/{world.participant}/episodes"

    def ids(role: str, programs: list[str] | None = None) -> list[str]:
        response = api.http.get(
            path, params={"min_position": head}, headers=api.as_(role, programs)
        )
        return [e["id"] for e in ok(response)["episodes"]]

    assert ids("caseworker", [OWN]) == [world.episode]
    assert ids("caseworker", [OTHER]) == [second]
    assert ids("caseworker", both) == ids("admin") == [world.episode, second]
    assert ids("auditor", [OWN]) == [world.episode]


def test_a_person_the_caller_may_not_see_has_episodes_as_an_unknown_id_has(
    api: Api, world: World
) -> None:
    stranger = ok(api.get(f"/v1/episodes/{world.other_episode}", role="admin"))["participant_id"]
    unseen = refused(api.get(f"/v1/participants/{stranger}/episodes"), 404, "not_found")
    unknown_id = str(uuid4())
    unknown = refused(api.get(f"/v1/participants/{unknown_id}/episodes"), 404, "not_found")
    assert unseen["title"] == unknown["title"]
    assert unseen["detail"].replace(stranger, unknown_id) == unknown["detail"]


def test_reading_a_persons_episodes_is_recorded(api: Api, world: World) -> None:
    ok(api.get(f"/v1/participants/{world.participant}/episodes", role="supervisor"))
    records = ok(api.get("/v1/audit/access", role="auditor", participant=world.participant))
    last = records["items"][-1]
    assert (last["subject"], last["what"], last["unmasked"]) == ("supervisor-1", "episodes", False)


# Hostile input

ODD = ["\x00", "a\x00b", "", " ", "x" * 5000, "'; DROP TABLE x; --", "%", "../.."]


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/v1/programs", "code"),
        ("/v1/programs", "min_position"),
        ("/v1/programs/OWN", "known_at"),
        ("/v1/facilities", "program"),
        ("/v1/facilities", "settlement"),
        ("/v1/facilities", "kind"),
        ("/v1/facilities", "min_position"),
        ("/v1/episodes", "program"),
        ("/v1/episodes", "caseworker"),
        ("/v1/episodes", "status"),
        ("/v1/episodes", "participant"),
        ("/v1/episodes", "limit"),
        ("/v1/episodes", "cursor"),
        ("/v1/episodes", "min_position"),
        ("/v1/reports/services", "program"),
    ],
)
def test_odd_values_in_every_parameter_are_refused_or_found_empty_never_failing(
    api: Api, world: World, path: str, parameter: str
) -> None:
    for value in ODD:
        response = api.http.get(path, params={parameter: value}, headers=api.as_("admin"))
        assert response.status_code < 500, (parameter, value, response.text)
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json"
        elif parameter not in ("settlement", "caseworker"):  # free text: matched as written
            pytest.fail(f"{parameter}={value!r} was accepted: {response.text}")


@pytest.mark.parametrize(
    "path",
    [
        "/v1/programs/%00",
        "/v1/programs/a%00b",
        "/v1/programs/" + "x" * 300,
        "/v1/programs/..",
        "/v1/facilities/%00",
        "/v1/facilities/not-an-id",
        "/v1/participants/%00/episodes",
        "/v1/participants/not-an-id/episodes",
    ],
)
def test_odd_ids_in_a_path_are_refused_as_problems(api: Api, world: World, path: str) -> None:
    response = api.http.get(path, headers=api.as_("admin"))
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_a_program_as_known_at_the_edges_of_time_answers_without_failing(
    api: Api, world: World
) -> None:
    for moment in ("9999-12-31T23:59:59-23:59", "9999-12-31T23:59:59Z"):
        assert ok(api.get(f"/v1/programs/{OWN}", known_at=moment))["code"] == OWN
    for moment in ("0001-01-01T00:00:00+23:59", "0001-01-01T00:00:00Z"):
        refused(api.get(f"/v1/programs/{OWN}", known_at=moment), 404, "not_found")
