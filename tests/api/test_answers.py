"""Answers a frontend can use: every read documented by a typed schema with an example, each
answer what its schema says, every command naming what it wrote, every id spelled one way."""

from __future__ import annotations

from typing import Any

from jsonschema_rs import Draft202012Validator

from tests.api.conftest import Api
from tests.api.world import World, a_world, day


def resolved(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def examples_of(document: dict[str, Any], media: dict[str, Any]) -> list[Any]:
    """The examples an answer's media type documents: its own, or its schema's (each branch's,
    for an answer that is one of several)."""
    if "example" in media:
        return [media["example"]]
    if "examples" in media:
        return [e["value"] for e in media["examples"].values()]
    schema = resolved(document, media.get("schema", {}))
    if "examples" in schema:
        return list(schema["examples"])
    branches = schema.get("anyOf") or schema.get("oneOf") or []
    found = [examples_of(document, {"schema": branch}) for branch in branches]
    return [e for each in found for e in each] if found and all(found) else []


def validator(document: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(
        {**schema, "components": document["components"]}, validate_formats=True
    )


def answer_schema(document: dict[str, Any], path: str, status: str = "200") -> dict[str, Any]:
    media = document["paths"][path]["get"]["responses"][status]["content"]["application/json"]
    schema: dict[str, Any] = media["schema"]
    return schema


def test_every_read_documents_a_schema_and_an_example_that_fits_it(api: Api) -> None:
    document = api.http.get("/openapi.json").json()
    reads = {path: item["get"] for path, item in document["paths"].items() if "get" in item}
    assert len(reads) >= 16
    missing = []
    for path, operation in reads.items():
        contents = operation["responses"].get("200", {}).get("content", {})
        if not contents:
            missing.append(f"GET {path}: no 200 content")
        for media_type, media in contents.items():
            schema = resolved(document, media.get("schema", {}))
            if not schema or schema == {"type": "object"}:
                missing.append(f"GET {path} ({media_type}): an empty schema")
                continue
            examples = examples_of(document, media)
            if not examples:
                missing.append(f"GET {path} ({media_type}): no example")
            for example in examples:
                errors = [
                    e.message for e in validator(document, media["schema"]).iter_errors(example)
                ]
                if errors:
                    missing.append(f"GET {path} ({media_type}): its example does not fit: {errors}")
    assert missing == []


def test_every_command_documents_what_it_wrote(api: Api) -> None:
    document = api.http.get("/openapi.json").json()
    answer = document["components"]["schemas"]["Answer"]
    assert {"id", "version", "position", "aggregate_id", "event_id"} <= set(answer["required"])
    assert answer["examples"]
    for example in answer["examples"]:
        validator(document, answer).validate(example)


def reads_of(world: World) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """Real reads: name -> (documented path, path, query) and the role that reads it."""
    ep, person = world.episode, world.participant
    return {
        "participant": ("/v1/participants/{participant_id}", f"/v1/participants/{person}", {}),
        "participant_history": (
            "/v1/participants/{participant_id}/history",
            f"/v1/participants/{person}/history",
            {},
        ),
        "episode": ("/v1/episodes/{episode_id}", f"/v1/episodes/{ep}", {}),
        "episode_history": ("/v1/episodes/{episode_id}/history", f"/v1/episodes/{ep}/history", {}),
        "caseload": ("/v1/caseloads/{caseworker}", "/v1/caseloads/caseworker-1", {}),
        "occupancy": ("/v1/occupancy", "/v1/occupancy", {"on": day(0)}),
        "facility_day": (
            "/v1/facilities/{facility_id}/occupancy",
            f"/v1/facilities/{world.facility}/occupancy",
            {},
        ),
        "facility_period": (
            "/v1/facilities/{facility_id}/occupancy",
            f"/v1/facilities/{world.facility}/occupancy",
            {"from": day(10), "to": day(0)},
        ),
        "outcomes": (
            "/v1/reports/outcomes",
            "/v1/reports/outcomes",
            {"program": world.own, "from": day(100), "to": day(0)},
        ),
        "services": (
            "/v1/reports/services",
            "/v1/reports/services",
            {"program": world.own, "by": "kind,settlement,month,staff"},
        ),
        "outcome_definitions": (
            "/v1/programs/{program_id}/outcome-definitions",
            f"/v1/programs/{world.own}/outcome-definitions",
            {},
        ),
        "outcome_status": (
            "/v1/programs/{program_id}/outcome-status",
            f"/v1/programs/{world.own}/outcome-status",
            {"as_of": day(0)},
        ),
        "health": ("/health", "/health", {}),
        "public_key": ("/v1/audit/public-key", "/v1/audit/public-key", {}),
        "verify": ("/v1/audit/verify", "/v1/audit/verify", {}),
    }


def a_busy_world(api: Api) -> World:
    """A world with a placement, a course, a service and a reasoned read on the access log."""
    world = a_world(api)
    ep = f"/v1/episodes/{world.episode}"
    assert (
        api.post(
            ep + "/placements", {"facility_id": world.facility, "occurred_on": day(5)}
        ).status_code
        == 201
    )
    course = {"title": "Cooking", "hours": 16, "format": "in_person", "occurred_on": day(20)}
    assert api.post(ep + "/courses", course).status_code == 201
    service = api.post(ep + "/services", {"kind": "home_care", "settlement": "Kopeysk"})
    assert service.status_code == 201, service.text
    position = service.json()["position"]
    for path in ("/v1/caseloads/caseworker-1", "/v1/reports/services"):  # caught up
        api.get(path, role="admin", min_position=position, program=world.own)
    api.get(f"/v1/participants/{world.participant}", role="auditor", reason="complaint 17")
    return world


def test_answers_of_real_reads_are_what_their_schemas_say(api: Api) -> None:
    world = a_busy_world(api)
    document = api.http.get("/openapi.json").json()
    for name, (documented, path, query) in reads_of(world).items():
        role = "admin" if name in ("verify",) else "caseworker"
        response = api.http.get(path, params=query, headers=api.as_(role))
        assert response.status_code == 200, (name, response.text)
        errors = list(
            validator(document, answer_schema(document, documented)).iter_errors(response.json())
        )
        assert [e.message for e in errors] == [], name
    access = api.get("/v1/audit/access", role="auditor", participant=world.participant)
    validator(document, answer_schema(document, "/v1/audit/access")).validate(access.json())
    ready = api.http.get("/ready")
    validator(document, answer_schema(document, "/ready", str(ready.status_code))).validate(
        ready.json()
    )
