"""What /openapi.json states is what the server enforces: bodies are strict, dates are ISO
dates, text holds no NUL, the command headers follow their stated patterns; and a request never
makes the server name a host it was not told of."""

from __future__ import annotations

import re
import socket
from typing import Any

import jsonschema_rs

from tests.api.conftest import Api
from tests.api.world import a_world, day


def _schema(api: Api, path: str) -> dict[str, Any]:
    """The schema of the JSON body that the command at `path` takes, refs resolvable."""
    document = api.http.get("/openapi.json").json()
    body = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]
    return {**body["schema"], "components": document["components"]}


def _refused_by_schema(api: Api, path: str, body: dict[str, Any]) -> bool:
    return not jsonschema_rs.validator_for(_schema(api, path), validate_formats=True).is_valid(body)


def test_a_number_sent_as_text_or_as_true_is_refused_as_the_schema_says(api: Api) -> None:
    world = a_world(api)
    path = "/v1/episodes/{episode_id}/services"
    head = api.log_head()
    for quantity in ("1", True, 1.5):
        body = {"kind": "home_care", "settlement": "Bredy", "occurred_on": day(1)}
        body["quantity"] = quantity
        assert _refused_by_schema(api, path, body)
        refused = api.post(f"/v1/episodes/{world.episode}/services", body)
        assert refused.status_code == 422, (quantity, refused.text)
        assert refused.json()["code"] == "invalid_request"
        assert [e["loc"] for e in refused.json()["errors"]] == [["body", "quantity"]]
    assert api.log_head() == head
    # JSON Schema counts 2.0 as the integer 2, and so does the server.
    whole = {"kind": "home_care", "settlement": "Bredy", "occurred_on": day(1), "quantity": 2.0}
    assert not _refused_by_schema(api, path, whole)
    assert api.post(f"/v1/episodes/{world.episode}/services", whole).status_code == 201


def test_a_date_is_only_a_yyyy_mm_dd_date_in_bodies_and_queries(api: Api) -> None:
    world = a_world(api)
    path = "/v1/episodes/{episode_id}/services"
    head = api.log_head()
    for written in ("0", "1700000000", "20240102", "2024-1-2", f"{day(1)}T00:00:00"):
        body = {"kind": "home_care", "settlement": "Bredy", "occurred_on": written}
        assert _refused_by_schema(api, path, body)
        refused = api.post(f"/v1/episodes/{world.episode}/services", body)
        assert refused.status_code == 422, (written, refused.text)
        assert [e["loc"] for e in refused.json()["errors"]] == [["body", "occurred_on"]]
    assert api.log_head() == head
    # `on=0` was read as 1970-01-01.
    occupancy = api.get("/v1/occupancy", on="0")
    assert occupancy.status_code == 422, occupancy.text
    assert [e["loc"] for e in occupancy.json()["errors"]] == [["query", "on"]]
    assert api.get("/v1/occupancy", on=day(0)).status_code == 200


def test_text_with_nul_or_only_blanks_breaks_the_stated_pattern_and_is_refused(api: Api) -> None:
    world = a_world(api)
    path = "/v1/episodes/{episode_id}/services"
    pattern = _schema(api, path)["components"]["schemas"]["ServiceBody"]["properties"]
    pattern = pattern["settlement"]["pattern"]
    head = api.log_head()
    for settlement in ("Bre\x00dy", " ", "\x1f\u3000"):
        assert not re.search(pattern, settlement)
        body = {"kind": "home_care", "settlement": settlement, "occurred_on": day(1)}
        refused = api.post(f"/v1/episodes/{world.episode}/services", body)
        assert refused.status_code == 422, (settlement, refused.text)
        assert [e["loc"] for e in refused.json()["errors"]] == [["body", "settlement"]]
    assert api.log_head() == head
    kept = {"kind": "home_care", "settlement": "  Bredy ", "occurred_on": day(1)}
    assert re.search(pattern, kept["settlement"])
    assert api.post(f"/v1/episodes/{world.episode}/services", kept).status_code == 201


def test_an_unknown_field_or_a_uuid_in_another_spelling_is_refused(api: Api) -> None:
    world = a_world(api)
    head = api.log_head()
    body = {"kind": "home_care", "settlement": "Bredy", "occurred_on": day(1), "note": "x"}
    refused = api.post(f"/v1/episodes/{world.episode}/services", body)
    assert (refused.status_code, refused.json()["code"]) == (422, "invalid_request")
    bare = world.episode.replace("-", "")
    body = {"kind": "home_care", "settlement": "Bredy", "occurred_on": day(1)}
    refused = api.post(f"/v1/episodes/{bare}/services", body)
    assert refused.status_code == 422
    assert [e["loc"] for e in refused.json()["errors"]] == [["path", "episode_id"]]
    assert api.log_head() == head


def test_the_command_headers_are_refused_exactly_where_their_patterns_say(api: Api) -> None:
    world = a_world(api)
    document = api.http.get("/openapi.json").json()
    operation = document["paths"]["/v1/episodes/{episode_id}/mentors"]["post"]
    patterns = {
        p["name"]: p["schema"]["pattern"] for p in operation["parameters"] if p["in"] == "header"
    }
    ep = f"/v1/episodes/{world.episode}/mentors"
    body = {"mentor_staff": "v-1", "occurred_on": day(1)}
    for key, allowed in (("k" * 200, True), ("k" * 201, False), ("a b", False), ("é", False)):
        assert bool(re.search(patterns["Idempotency-Key"], key)) is allowed
        headers = {**api.as_("caseworker"), "Idempotency-Key": key.encode()}  # bytes as sent
        sent = api.http.post(ep, json=body, headers=headers)
        assert (sent.status_code < 300) is allowed, (key, sent.text)
        if not allowed:
            assert sent.json()["code"] == "invalid_idempotency_key"
    for form, allowed in (('"{}"', True), ('W/"{}"', True), ("{}", True), ("v{}", False)):
        tag = form.format(api.get(f"/v1/episodes/{world.episode}").json()["version"])
        assert bool(re.search(patterns["If-Match"], tag)) is allowed
        sent = api.post(ep, body, **{"If-Match": tag})
        assert (sent.status_code == 201) is allowed, (tag, sent.text)


def test_a_trailing_slash_is_not_redirected_to_the_host_a_client_names(api: Api) -> None:
    """Starlette's slash redirect built its Location from the Host header: a forged Host made
    the API send a client on to any site."""
    host, port = api.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as conn:
        conn.sendall(b"GET /v1/occupancy/?on=2024-01-01 HTTP/1.1\r\nHost: evil.example\r\n\r\n")
        answer = conn.recv(65536).decode("latin-1")
    status_line, _, rest = answer.partition("\r\n")
    assert " 404 " in status_line, answer
    assert "evil.example" not in answer
    assert "location:" not in rest.lower()


def test_a_batch_holds_its_commands_to_the_same_strict_bodies(api: Api) -> None:
    world = a_world(api)
    head = api.log_head()
    path = f"/v1/episodes/{world.episode}/services"
    body = {"kind": "home_care", "settlement": "Bredy", "occurred_on": day(1), "quantity": "1"}
    sent = api.post(
        "/v1/batch", {"commands": [{"path": path, "idempotency_key": "b-1", "body": body}]}
    )
    assert sent.status_code == 200, sent.text
    (result,) = sent.json()["results"]
    assert (result["status"], result["problem"]["code"]) == (422, "invalid_request")
    assert [e["loc"] for e in result["problem"]["errors"]] == [["quantity"]]
    assert api.log_head() == head


def test_the_schema_links_what_a_command_creates_to_its_reads_and_next_commands(
    api: Api,
) -> None:
    paths = api.http.get("/openapi.json").json()["paths"]

    def links(path: str) -> dict[str, dict[str, str]]:
        answer = paths[path]["post"]["responses"]["201"]["links"]
        return {name: link["parameters"] for name, link in answer.items()}

    created = {"participant_id": "$response.body#/id"}
    assert links("/v1/participants")["get_participant"] == created
    assert links("/v1/participants")["consent"] == created
    assert links("/v1/episodes")["get_episode"] == {"episode_id": "$response.body#/id"}
    assert links("/v1/episodes")["deliver_service"] == {"episode_id": "$response.body#/id"}
    same_episode = {"episode_id": "$request.path.episode_id"}
    assert links("/v1/episodes/{episode_id}/placements")["get_episode"] == same_episode
    assert links("/v1/episodes/{episode_id}/placements")["end_placement"] == {
        **same_episode,
        "placement_id": "$response.body#/id",
    }
    assert links("/v1/episodes/{episode_id}/courses")["enrol_course"] == {
        **same_episode,
        "course_id": "$response.body#/id",
    }
    assert links("/v1/episodes/{episode_id}/services") == {
        "get_episode": same_episode,
        "episode_history": same_episode,
    }
