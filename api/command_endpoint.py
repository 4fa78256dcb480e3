"""One command's HTTP endpoint: parse, run the Ledger's command on the event loop, present.

The endpoint reads its own body and headers instead of declaring them to FastAPI, and its
OpenAPI entry is written here from the same command table: FastAPI's solving of declared
parameters took a quarter of the event loop's CPU per command.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from pydantic.json_schema import models_json_schema
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api import bodies as b
from api.bodies import CANONICAL_UUID
from api.command import Command, Params, execute
from api.deps import authenticate, components, request_id
from api.on_loop import run_on_loop
from api.problems import ProblemError
from domain.application import Context
from domain.base import Actor

MAX_KEY = 200
# Printable ASCII without spaces: a header value keeps no surrounding blanks, and no other
# characters survive every HTTP client and proxy unchanged.
IDEMPOTENCY_KEY = re.compile(rf"[!-~]{{1,{MAX_KEY}}}")
# What `expected_version` reads: a version of at most 18 digits, quoted as an ETag or not.
IF_MATCH = r'^(W/)?"*[0-9]{1,18}"*$'
Endpoint = Callable[[Request], Awaitable[Response]]

HEADERS = [
    {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": (
            "The same key and body give the first answer again: 1 to "
            f"{MAX_KEY} printable ASCII characters without spaces (422 invalid_idempotency_key)"
        ),
        "schema": {"type": "string", "pattern": f"^{IDEMPOTENCY_KEY.pattern}$"},
    },
    {
        "name": "If-Match",
        "in": "header",
        "required": False,
        "description": (
            'The version the command expects, as the last ETag gave it ("3"; W/"3" and 3 are '
            "read alike): 412 if stale, 400 invalid_if_match if not a version"
        ),
        "schema": {"type": "string", "pattern": IF_MATCH},
    },
]


def endpoint(command: Command) -> Endpoint:
    """The endpoint of `command`: the caller, the path's ids and the body are checked in that
    order, each refused with a problem, before anything is written."""
    names = command.ids

    async def route(request: Request) -> Response:
        principal = await authenticate(request)
        params = _path_params(request, names)
        body = _body(command.body, request.headers.get("content-type"), await request.body())
        ctx = Context(
            Actor(principal.subject, principal.role, request_id(request)),
            idempotency_key=idempotency_key(request.headers.get("idempotency-key")),
            expected_version=expected_version(request.headers.get("if-match")),
        )
        parts = components(request)
        result = await run_on_loop(execute, parts.ledger, principal, command, params, body, ctx)
        request.state.command_outcome = "replayed" if result.replayed else "written"
        return JSONResponse(
            {"id": str(result.id), "version": result.version, "position": result.position},
            status_code=200 if result.replayed else 201,
            headers={"Location": command.location(params, result), "ETag": f'"{result.version}"'},
        )

    route.__name__ = command.name
    route.__doc__ = command.summary
    return route


def idempotency_key(header: str | None) -> str | None:
    if header is not None and not IDEMPOTENCY_KEY.fullmatch(header):
        raise ProblemError(
            422,
            "invalid_idempotency_key",
            f"Idempotency-Key must be 1 to {MAX_KEY} printable ASCII characters without spaces",
        )
    return header


def expected_version(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    # str.isdigit() also takes "²" and other digits int() refuses; a version fits in 18 digits.
    if not (tag.isascii() and tag.isdigit() and len(tag) <= 18):
        raise ProblemError(
            400,
            "invalid_if_match",
            "If-Match must carry a version number",
            'Send the ETag of the last answer, e.g. "3"',
        )
    return int(tag)


def _path_params(request: Request, names: list[str]) -> Params:
    params: Params = {}
    errors = []
    for name in names:
        value = request.path_params[name]
        if CANONICAL_UUID.fullmatch(value):
            params[name] = UUID(value)
        else:
            errors.append({"loc": ("path", name), "msg": "not a UUID", "type": "uuid_parsing"})
    if errors:
        raise RequestValidationError(errors)
    return params


def _body(model: type[b.Body], content_type: str | None, raw: bytes) -> b.Body:
    """The body, validated as FastAPI would: JSON only, errors located under `body`."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media != "application/json" and not (
        media.startswith("application/") and media.endswith("+json")
    ):
        raise RequestValidationError(
            [{"loc": ("body",), "msg": "send the body as application/json", "type": "content_type"}]
        )
    try:
        return model.model_validate_json(raw)
    except ValidationError as error:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in error.errors()]
        ) from None


def openapi(command: Command) -> dict[str, Any]:
    """What FastAPI would have documented from declared parameters: path ids, headers, body."""
    ids = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "format": "uuid", "title": name.replace("_", " ").title()},
        }
        for name in command.ids
    ]
    return {
        "parameters": [*ids, *HEADERS],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _ref(command.body)}},
        },
        "security": [{"HTTPBearer": []}],
    }


def body_schemas(commands: list[Command]) -> dict[str, Any]:
    """The bodies' schemas (and those they refer to), for the document's components."""
    _, schemas = models_json_schema(
        [(command.body, "validation") for command in commands],
        ref_template="#/components/schemas/{model}",
    )
    return dict(schemas.get("$defs", {}))


def _ref(model: type[b.Body]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}
