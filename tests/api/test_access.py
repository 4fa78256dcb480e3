"""Every role against every endpoint family, in its own program and in another one."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from uuid import UUID

import httpx
import pytest

from api.auth import Authenticator, mint
from domain.episode import Episode
from tests.api.conftest import OWN, Api
from tests.api.world import World, a_world, day

ROLES = ("caseworker", "supervisor", "auditor", "analyst", "admin", None)
OK, DENIED, NO_TOKEN = "ok", 403, 401
# A person the caller's role may read but who is in none of the caller's programs: not found, as
# an unknown id, so that the refusal does not say the person exists.
HIDDEN = 404

# family -> (how to call it for a world and a program side, expected outcome per role)
Call = Callable[[Api, World, str, dict[str, str]], httpx.Response]


def _episode(world: World, side: str) -> str:
    return world.episode if side == "own" else world.other_episode


def _program(world: World, side: str) -> str:
    return world.own if side == "own" else world.other


FAMILIES: dict[str, tuple[Call, dict[str | None, Any], dict[str | None, Any]]] = {
    # family: (call, outcome in own program, outcome in the other program)
    "define program": (
        lambda api, w, side, h: api.http.post(
            "/v1/programs",
            headers=h,
            json={
                "code": f"P-{side}-{len(h)}-{id(h)}",
                "name": "x",
                "financing": "budget",
                "period_start": day(10),
                "period_end": day(0),
            },
        ),
        {"admin": OK},
        {"admin": OK},
    ),
    "register facility": (
        lambda api, w, side, h: api.http.post(
            "/v1/facilities",
            headers=h,
            json={
                "kind": "shelter",
                "name": "Shelter",
                "settlement": "Miass",
                "capacity": 3,
                "occurred_on": day(1),
            },
        ),
        {"admin": OK},
        {"admin": OK},
    ),
    "register participant": (
        lambda api, w, side, h: api.http.post(
            "/v1/participants",
            headers=h,
            json={
                "target_groups": ["homeless"],
                "settlement": "Miass",
                "birth_year": 1970,
                "prior_residence": "street",
            },
        ),
        {"caseworker": OK, "supervisor": OK},
        {"caseworker": OK, "supervisor": OK},
    ),
    "episode command": (
        lambda api, w, side, h: api.http.post(
            f"/v1/episodes/{_episode(w, side)}/services",
            headers=h,
            json={"kind": "transport", "settlement": "Miass", "occurred_on": day(1)},
        ),
        {"caseworker": OK, "supervisor": OK},
        {},
    ),
    "batch": (
        lambda api, w, side, h: api.http.post(
            "/v1/batch",
            headers=h,
            json={
                "commands": [
                    {
                        "path": f"/v1/episodes/{_episode(w, side)}/mentors",
                        "idempotency_key": f"b-{id(h)}",
                        "body": {"mentor_staff": "v-1", "occurred_on": day(1)},
                    }
                ]
            },
        ),
        # The batch itself answers 200; each command carries its own status (checked below).
        {r: OK for r in ROLES if r},
        {r: OK for r in ROLES if r},
    ),
    "episode read": (
        lambda api, w, side, h: api.http.get(f"/v1/episodes/{_episode(w, side)}", headers=h),
        {"caseworker": OK, "supervisor": OK, "auditor": OK, "admin": OK},
        {"admin": OK},
    ),
    "participant history": (
        lambda api, w, side, h: api.http.get(
            f"/v1/participants/{w.participant if side == 'own' else _other_person(api, w)}/history",
            headers=h,
        ),
        {"caseworker": OK, "supervisor": OK, "auditor": OK, "admin": OK},
        {"caseworker": HIDDEN, "supervisor": HIDDEN, "auditor": HIDDEN, "admin": OK},
    ),
    "caseload": (
        lambda api, w, side, h: api.http.get("/v1/caseloads/caseworker-1", headers=h),
        {"caseworker": OK, "supervisor": OK, "auditor": OK, "admin": OK},
        {"caseworker": OK, "supervisor": OK, "auditor": OK, "admin": OK},
    ),
    "occupancy": (
        lambda api, w, side, h: api.http.get("/v1/occupancy", params={"on": day(0)}, headers=h),
        {r: OK for r in ROLES if r},
        {r: OK for r in ROLES if r},
    ),
    "outcomes report": (
        lambda api, w, side, h: api.http.get(
            "/v1/reports/outcomes",
            headers=h,
            params={"program": _program(w, side), "from": day(400), "to": day(0)},
        ),
        {r: OK for r in ROLES if r},
        {"admin": OK},
    ),
    "services report": (
        lambda api, w, side, h: api.http.get(
            "/v1/reports/services", headers=h, params={"program": _program(w, side)}
        ),
        {r: OK for r in ROLES if r},
        {"admin": OK},
    ),
}


def _other_person(api: Api, world: World) -> str:
    return str(api.ledger.load(Episode, UUID(world.other_episode)).participant_id)


@pytest.fixture
def world(api: Api) -> World:
    return a_world(api)


@pytest.mark.parametrize("side", ["own", "other"])
@pytest.mark.parametrize("family", list(FAMILIES))
def test_each_role_gets_what_it_may_and_nothing_else(
    api: Api, world: World, family: str, side: str
) -> None:
    call, own, other = FAMILIES[family]
    allowed = own if side == "own" else other
    for role in ROLES:
        headers = api.as_(role, [OWN]) if role else {}
        response = call(api, world, side, headers)
        expected = NO_TOKEN if role is None else allowed.get(role, DENIED)
        if expected == OK:
            assert response.status_code in (200, 201), (family, side, role, response.text)
        else:
            assert response.status_code == expected, (family, side, role, response.text)
            assert response.headers["content-type"] == "application/problem+json"
        if family == "batch" and expected == OK:
            [result] = response.json()["results"]
            writes = side == "own" and role in ("caseworker", "supervisor")
            assert result["status"] == (201 if writes else 403), (side, role, result)


def test_analysts_see_no_participant_ids_and_no_personal_data(api: Api, world: World) -> None:
    api.post(
        f"/v1/episodes/{world.episode}/placements",
        {"facility_id": world.facility, "occurred_on": day(3)},
    )
    analyst = api.as_("analyst", [OWN])
    answers = [
        api.http.get(
            "/v1/reports/outcomes",
            headers=analyst,
            params={"program": world.own, "from": day(400), "to": day(0)},
        ),
        api.http.get("/v1/reports/services", headers=analyst, params={"program": world.own}),
        api.http.get("/v1/occupancy", headers=analyst, params={"on": day(0), "min_position": 1}),
        api.http.get(
            f"/v1/facilities/{world.facility}/occupancy", headers=analyst, params={"on": day(0)}
        ),
    ]
    for response in answers:
        assert response.status_code == 200, response.text
        for secret in (
            world.participant,
            world.participant.replace("-", ""),
            world.episode,
            "Anna",
            "Petrova",
            "11223344595",
        ):
            assert secret not in response.text, (response.url, secret)
    assert api.get(f"/v1/participants/{world.participant}", role="analyst").status_code == 403


def test_a_bad_or_expired_token_is_401_with_a_problem(api: Api) -> None:
    for header in ("Bearer nonsense", "Basic abc", f"Bearer {api.token('admin')}x"):
        response = api.http.get(
            "/v1/occupancy", params={"on": day(0)}, headers={"Authorization": header}
        )
        assert response.status_code == 401
        assert response.json()["code"] in ("invalid_token", "missing_token")


def test_a_token_known_from_earlier_requests_is_refused_once_it_expires(api: Api) -> None:
    token = mint(api.settings, "caseworker-1", ["caseworker"], [OWN], hours=2 / 3600)
    expires = time.time() + 2
    headers = {"Authorization": f"Bearer {token}"}
    assert api.http.get("/v1/caseloads/caseworker-1", headers=headers).status_code == 200
    assert api.http.get("/v1/caseloads/caseworker-1", headers=headers).status_code == 200
    time.sleep(max(0.0, expires - time.time()) + 1.1)
    response = api.http.get("/v1/caseloads/caseworker-1", headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"
    assert "expired" in response.json()["title"].lower()


def test_a_checked_token_is_known_for_a_while_and_only_that_token(api: Api) -> None:
    now = [time.time()]
    authenticator = Authenticator(api.settings, clock=lambda: now[0])
    header = f"Bearer {api.token('supervisor', sub='sv-7')}"
    assert authenticator.known(header) is None
    checked = authenticator.authenticate(header)
    assert checked.subject == "sv-7"
    assert authenticator.known(header) == checked
    assert authenticator.known(header + "x") is None
    assert authenticator.known(f"Bearer {api.token('supervisor', sub='sv-8')}") is None
    now[0] += Authenticator.KNOWN_SECONDS
    assert authenticator.known(header) is None
