"""Idempotency, versions, the last-bed race and read-your-writes, through HTTP."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import httpx

from domain.program import program_id_for
from tests.api.conftest import OWN, Api
from tests.api.world import a_world, day, episode, facility, participant


def test_the_same_key_and_body_answer_the_first_answer_and_write_nothing(api: Api) -> None:
    world = a_world(api)
    path, body = (
        f"/v1/episodes/{world.episode}/services",
        {"kind": "home_care", "settlement": "Bredy", "occurred_on": day(1)},
    )
    first = api.post(path, body, **{"Idempotency-Key": "visit-1"})
    assert api.post(path, body).status_code == 201  # the log moves on meanwhile
    head = api.log_head()
    again = api.post(path, body, **{"Idempotency-Key": "visit-1"})
    other_body = api.post(path, {**body, "quantity": 3}, **{"Idempotency-Key": "visit-1"})

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()  # id, version and log position
    assert other_body.status_code == 422
    assert other_body.json()["code"] == "idempotency_key_reused"
    assert api.log_head() == head


def test_a_batch_sent_again_after_a_lost_answer_writes_nothing_twice(api: Api) -> None:
    world = a_world(api)
    ep = f"/v1/episodes/{world.episode}"
    commands = [
        {
            "path": ep + "/services",
            "idempotency_key": f"offline-{n}",
            "body": {"kind": "home_care", "settlement": "Bredy", "occurred_on": day(3)},
        }
        for n in range(5)
    ] + [
        {
            "path": ep + "/services",
            "idempotency_key": "offline-bad",
            "body": {"kind": "home_care", "settlement": "Bredy", "occurred_on": day(-5)},
        },  # future
        {
            "path": ep + "/referrals",
            "idempotency_key": "offline-ref",
            "body": {"specialist": "doctor", "occurred_on": day(3)},
        },
    ]
    # The device sends the batch but the connection drops before the answer arrives.
    with (
        httpx.Client(base_url=api.url, timeout=0.0001) as flaky,
        contextlib.suppress(httpx.TimeoutException),
    ):
        flaky.post("/v1/batch", json={"commands": commands}, headers=api.as_("caseworker"))
    first = None
    for _ in range(100):  # the server finishes the batch it received
        first = api.post("/v1/batch", {"commands": commands})
        if all(r["status"] in (200, 422) for r in first.json()["results"]):
            break
    head = api.log_head()
    resent = api.post("/v1/batch", {"commands": commands}).json()["results"]

    assert [r["status"] for r in resent] == [200] * 5 + [422, 200]
    assert resent[5]["problem"]["code"] == "occurred_on_in_future"
    assert api.log_head() == head
    history = api.get(ep + "/history", limit=500).json()["items"]
    assert sum(1 for i in history if i["type"] == "ServiceDelivered") == 5
    assert sum(1 for i in history if i["type"] == "ReferralMade") == 1


def test_a_stale_if_match_is_refused_and_the_current_one_accepted(api: Api) -> None:
    world = a_world(api)
    ep = f"/v1/episodes/{world.episode}"
    version = api.get(ep).json()["version"]
    body = {"mentor_staff": "v-1", "occurred_on": day(1)}
    first = api.post(ep + "/mentors", body, **{"If-Match": f'"{version}"'})
    stale = api.post(ep + "/mentors", body, **{"If-Match": f'"{version}"'})
    assert first.status_code == 201
    assert (stale.status_code, stale.json()["code"]) == (412, "stale_version")
    assert api.post(ep + "/mentors", body, **{"If-Match": first.headers["ETag"]}).status_code == 201
    assert api.post(ep + "/mentors", body, **{"If-Match": "yesterday"}).status_code == 400


def test_a_malformed_idempotency_key_is_refused_before_anything_is_written(api: Api) -> None:
    world = a_world(api)
    ep = f"/v1/episodes/{world.episode}"
    version = api.get(ep).json()["version"]
    body = {"mentor_staff": "v-1", "occurred_on": day(1)}
    for key in ("k" * 201, ""):
        refused = api.post(ep + "/mentors", body, **{"Idempotency-Key": key})
        assert refused.status_code == 422
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["code"] == "invalid_idempotency_key"
    assert api.get(ep).json()["version"] == version
    accepted = api.post(ep + "/mentors", body, **{"Idempotency-Key": "k" * 200})
    assert accepted.status_code == 201


def test_the_api_description_documents_the_command_headers_and_the_bearer_scheme(
    api: Api,
) -> None:
    description = api.http.get("/openapi.json").json()
    operation = description["paths"]["/v1/episodes/{episode_id}/services"]["post"]
    headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
    assert headers == {"Idempotency-Key", "If-Match"}
    assert operation["security"] == [{"HTTPBearer": []}]
    assert description["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_text_a_read_model_could_not_store_is_refused_and_the_models_go_on(api: Api) -> None:
    """A NUL character, or a lone surrogate (valid JSON, not UTF-8), was once written to the log,
    and stopped the PostgreSQL read model that met it."""
    head = api.log_head()
    body = '{"kind": "social_hotel", "name": "%s", "settlement": "Kopeysk", "capacity": 2,'
    body += ' "occurred_on": "%s"}'
    for name in ("Hotel\\u0000", "Hotel \\ud800"):
        refused = api.http.post(
            "/v1/facilities",
            content=(body % (name, day(1))).encode(),
            headers={**api.as_("admin"), "Content-Type": "application/json"},
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "invalid_request"
    assert api.log_head() == head
    hotel = facility(api, capacity=2)
    position = api.log_head()
    on = api.get("/v1/occupancy", role="admin", on=day(1), min_position=position)
    assert on.status_code == 200, on.text
    assert hotel in {f["facility_id"] for f in on.json()["facilities"]}


def place(
    api: Api, barrier: threading.Barrier, answers: list[Any], i: int, episode_id: str, hotel: str
) -> None:
    """One caseworker's client: its own connection, sent at the same moment as the other's."""
    with httpx.Client(base_url=api.url, timeout=30) as client:
        barrier.wait()
        answers[i] = client.post(
            f"/v1/episodes/{episode_id}/placements",
            json={"facility_id": hotel, "occurred_on": day(1)},
            headers=api.as_("caseworker"),
        )


def test_two_caseworkers_racing_for_the_last_bed_over_http(api: Api) -> None:
    a_world(api)
    for _ in range(3):
        hotel = facility(api, capacity=1)
        program = program_id_for(OWN)
        episodes = [episode(api, participant(api, [OWN]), str(program), [OWN]) for _ in range(2)]
        barrier = threading.Barrier(2)
        answers: list[Any] = [None, None]
        threads = [
            threading.Thread(target=place, args=(api, barrier, answers, i, episodes[i], hotel))
            for i in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
        loser = next(a for a in answers if a.status_code == 409)
        assert loser.json()["code"] == "bed_unavailable"


def test_a_read_with_min_position_sees_the_write_it_follows(api: Api) -> None:
    world = a_world(api)
    for n in range(5):
        written = api.post(
            f"/v1/episodes/{world.episode}/services",
            {"kind": "transport", "settlement": "Bredy", "quantity": n + 1, "occurred_on": day(2)},
        ).json()
        report = api.get(
            "/v1/reports/services", program=world.own, by="kind", min_position=written["position"]
        ).json()
        assert report["position"] >= written["position"]
        assert report["rows"] == [
            {"kind": "transport", "services": n + 1, "quantity": sum(range(1, n + 2)), "people": 1}
        ]
    too_far = api.get("/v1/reports/services", program=world.own, min_position=10**9)
    assert too_far.status_code == 422
    assert too_far.json()["code"] == "position_unknown"
