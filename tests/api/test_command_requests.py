"""Malformed command requests are refused as problems before anything is written, and the API
description gives every command its path ids, headers and body."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from starlette.routing import Match

from api.command_table import COMMANDS
from tests.api.conftest import Api, serve
from tests.api.world import a_world, day


def test_an_id_in_the_path_that_is_not_a_uuid_is_refused_and_nothing_is_written(
    api: Api,
) -> None:
    a_world(api)
    head = api.log_head()
    body = {"kind": "home_care", "settlement": "Bredy", "occurred_on": day(1)}

    refused = api.post("/v1/episodes/not-an-id/services", body)

    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["code"] == "invalid_request"
    assert [error["loc"] for error in problem["errors"]] == [["path", "episode_id"]]
    assert api.log_head() == head


def test_a_body_that_is_not_json_is_refused_with_where_it_went_wrong(api: Api) -> None:
    world = a_world(api)
    head = api.log_head()
    path = f"/v1/episodes/{world.episode}/services"
    valid = f'{{"kind": "home_care", "settlement": "Bredy", "occurred_on": "{day(1)}"}}'
    sent = [
        (valid, "text/plain", "content_type"),
        (valid[:-1], "application/json", "json_invalid"),
        ("", "application/json", "json_invalid"),
        # Not a kind anywhere: any program's own kinds are lowercase (a lowercase kind the
        # program does not offer is a domain rule: tests/api/test_program_catalogue.py).
        (valid.replace("home_care", "Haircut"), "application/json", "string_pattern_mismatch"),
    ]
    for content, media_type, kind in sent:
        refused = api.http.post(
            path,
            content=content.encode(),
            headers={**api.as_("caseworker"), "Content-Type": media_type},
        )
        assert refused.status_code == 422, (content, refused.text)
        errors = refused.json()["errors"]
        assert [error["type"] for error in errors] == [kind], errors
        assert errors[0]["loc"][0] == "body"
    assert api.log_head() == head
    accepted = api.http.post(
        path,
        content=valid.encode(),
        headers={**api.as_("caseworker"), "Content-Type": "application/json; charset=utf-8"},
    )
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["position"] == api.log_head()


def test_the_caller_is_checked_before_the_body(api: Api) -> None:
    world = a_world(api)
    refused = api.http.post(
        f"/v1/episodes/{world.episode}/services", content=b"{", headers={"X-Request-Id": "r-1"}
    )
    assert (refused.status_code, refused.json()["code"]) == (401, "missing_token")
    assert refused.headers["x-request-id"] == "r-1"


def test_other_methods_on_a_command_path_are_not_allowed(api: Api) -> None:
    world = a_world(api)
    answer = api.get(f"/v1/episodes/{world.episode}/services")
    assert (answer.status_code, answer.json()["code"]) == (405, "method_not_allowed")
    assert answer.headers["allow"] == "POST"
    assert answer.headers["content-type"] == "application/problem+json"


# Lists read on the path their records are created on (api/command_routes.py lets them by).
LISTS = {
    "/v1/programs",
    "/v1/facilities",
    "/v1/episodes",
    "/v1/participants",
    "/v1/programs/program_id/outcome-definitions",
}


def test_no_other_route_answers_on_a_command_path(api: Api) -> None:
    """Commands are answered ahead of FastAPI's routing (api/command_routes.py), other methods
    with 405 too: right only while no route of FastAPI's matches a command's path, but for the
    lists read where their records are created."""
    for command in COMMANDS:
        path = command.path.replace("{", "").replace("}", "")  # any id will do
        for method in ("GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "POST"):
            scope = {"type": "http", "method": method, "path": path, "root_path": ""}
            for route in api.app.router.routes:
                if path in LISTS and method in ("GET", "HEAD"):
                    continue
                assert route.matches(scope)[0] in (
                    (Match.NONE, Match.PARTIAL) if path in LISTS else (Match.NONE,)
                ), (command.path, route.path)


def test_other_methods_on_a_list_path_are_not_allowed_naming_the_read_and_the_command(
    api: Api,
) -> None:
    for path in sorted(LISTS):
        for method in ("PUT", "DELETE", "OPTIONS"):
            answer = api.http.request(method, path, headers=api.as_("admin"))
            assert (answer.status_code, answer.json()["code"]) == (405, "method_not_allowed")
            assert answer.headers["allow"] == "GET, POST"


def test_people_are_searched_on_the_path_they_are_registered_on(api: Api) -> None:
    read = api.get("/v1/participants", search="Petrova")
    assert read.status_code == 200, read.text
    assert read.json()["hits"] == []


def test_the_api_description_gives_every_command_its_ids_and_body(api: Api) -> None:
    description = api.http.get("/openapi.json").json()
    schemas = description["components"]["schemas"]
    for command in COMMANDS:
        operation = description["paths"][command.path]["post"]
        ids = [p["name"] for p in operation["parameters"] if p["in"] == "path"]
        assert ids == [part[1:-1] for part in command.path.split("/") if part.startswith("{")]
        body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        documented = schemas[body.rsplit("/", 1)[1]]
        assert set(documented["properties"]) == set(command.body.model_fields), command.name
        assert set(documented.get("required", [])) == {
            name for name, f in command.body.model_fields.items() if f.is_required()
        }


def test_a_body_sent_in_chunks_is_refused_once_it_outgrows_the_limit(
    store_url: str, tmp_path: Path
) -> None:
    """Without a Content-Length, the size is known only as the body arrives."""
    with serve(store_url, tmp_path, max_body_bytes=1_000) as api:
        world = a_world(api)
        head = api.log_head()

        def chunks() -> Iterator[bytes]:
            yield b'{"kind": "home_care", "settlement": "' + b"B" * 600
            yield b"r" * 600 + f'edy", "occurred_on": "{day(1)}"}}'.encode()

        for path in (f"/v1/episodes/{world.episode}/services", "/v1/batch"):
            refused = api.http.post(
                path,
                content=chunks(),
                headers={**api.as_("caseworker"), "Content-Type": "application/json"},
            )
            assert refused.status_code == 413, refused.text
            assert refused.json()["code"] == "body_too_large"
        assert api.log_head() == head
