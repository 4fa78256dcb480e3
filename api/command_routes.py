"""The commands of the table (api/command_table.py), served and documented.

Served ahead of FastAPI, by a plain ASGI layer made from the table: FastAPI's routing and its
own layers took most of the event loop's CPU per command (ops/bench/DECISIONS.md). The same
rows give the commands' entries in /openapi.json, and other methods on their paths are refused
as FastAPI refuses them. Each endpoint checks the caller, the path's ids and the body in that
order, each refused with a problem before anything is written.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from uuid import UUID

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.json_schema import models_json_schema
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from api.answers import restore_examples
from api.auth import Principal
from api.bodies import CANONICAL_UUID, Body
from api.command_headers import DOCUMENTED, expected_version, idempotency_key
from api.command_table import COMMANDS, Command, Params
from api.deps import authenticate, components, request_id
from api.field_hints import with_hints
from api.on_loop import run_on_loop
from api.policy import check_command, duplicate_shown
from api.problems import PROBLEM_SCHEMA, PROBLEMS
from domain.base import Actor
from domain.commands import CommandResult, Context
from domain.ledger import Ledger
from domain.personal_data import DuplicatePersonError

Endpoint = Callable[[Request], Awaitable[Response]]


class Answer(BaseModel):
    """What a command answers: the id it created or changed, the event it wrote (`event_id`, as
    history lines name it: what voiding the entry needs) in which record (`aggregate_id`: an
    episode for its tracks and entries, whose `version` goes in `If-Match`), and the log position
    to pass as `min_position` to read your own write. An idempotent replay answers the same."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0b7c6f3e-3f1a-4d55-9a57-7f3d2c1e9b10",
                    "version": 7,
                    "position": 1234,
                    "aggregate_id": "5d2f8a61-0c4e-4b6a-8e2d-93f1b7a4c0de",
                    "event_id": "9a1e5c3b-7d2f-5e8a-b4c6-1f0d3e2a7b95",
                }
            ]
        }
    )

    id: UUID = Field(description="What the command created or changed (a track: its own id)")
    version: int = Field(description="The version of `aggregate_id` after the command")
    position: int = Field(description="The log position: `min_position` to read your write")
    aggregate_id: UUID = Field(description="The record the command wrote to (a track's episode)")
    event_id: UUID = Field(
        description="The event the command wrote, as history lines name it;"
        " `POST /v1/episodes/{episode_id}/entries/{event_id}/void` voids an episode's entry"
    )

    @classmethod
    def of(cls, result: CommandResult) -> Answer:
        return cls(
            id=result.id,
            version=result.version,
            position=result.position,
            aggregate_id=result.aggregate_id,
            event_id=result.entry_id,
        )


def answer_body(result: CommandResult) -> dict[str, Any]:
    """`Answer` as JSON, built without validating it again: commands are the hot path."""
    return {
        "id": str(result.id),
        "version": result.version,
        "position": result.position,
        "aggregate_id": str(result.aggregate_id),
        "event_id": str(result.entry_id),
    }


def execute(
    ledger: Ledger,
    principal: Principal,
    command: Command,
    params: Params,
    body: Body,
    ctx: Context,
) -> CommandResult:
    """The command, if the caller may send it (run on the event loop: api/on_loop.py)."""
    check_command(principal, ledger, command, params, body)
    try:
        return command.run(ledger, ctx, params, body)
    except DuplicatePersonError as error:
        raise duplicate_shown(principal, ledger, error) from None


def endpoint(command: Command) -> Endpoint:
    names = command.ids

    async def route(request: Request) -> Response:
        principal = await authenticate(request)
        params = _path_params(request, names)
        body = _body(command, request.headers.get("content-type"), await request.body())
        ctx = Context(
            Actor(principal.subject, principal.role, request_id(request)),
            idempotency_key=idempotency_key(request.headers.get("idempotency-key")),
            expected_version=expected_version(request.headers.get("if-match")),
        )
        ledger = components(request).ledger
        result = await run_on_loop(execute, ledger, principal, command, params, body, ctx)
        request.state.command_outcome = "replayed" if result.replayed else "written"
        return JSONResponse(
            answer_body(result),
            status_code=200 if result.replayed else 201,
            headers={"Location": command.location(params, result), "ETag": f'"{result.version}"'},
        )

    return route


def _not_allowed(allow: str) -> Endpoint:
    async def refuse(request: Request) -> Response:
        raise HTTPException(405, headers={"Allow": allow})

    return refuse


_POST_ONLY, _GET_OR_POST = _not_allowed("POST"), _not_allowed("GET, POST")


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


def _body(command: Command, content_type: str | None, raw: bytes) -> Body:
    """The body, validated as FastAPI would: JSON only, errors located under `body`."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media != "application/json" and not (
        media.startswith("application/") and media.endswith("+json")
    ):
        raise RequestValidationError(
            [{"loc": ("body",), "msg": "send the body as application/json", "type": "content_type"}]
        )
    try:
        return command.body.model_validate_json(raw)
    except ValidationError as error:
        raise RequestValidationError(
            with_hints(command, [{**e, "loc": ("body", *e["loc"])} for e in error.errors()])
        ) from None


class CommandRoutes:
    """Plain ASGI: a request whose path a command's template matches is answered here (a POST
    by the command's endpoint, any other method with 405); errors by the application's own
    exception handlers. Anything else goes on to the application.

    No other route's template matches a command's path (tests/api/test_command_requests.py),
    so FastAPI would answer such a request the same way."""

    def __init__(
        self,
        app: ASGIApp,
        handlers: Mapping[Any, Any],
        reads: Callable[[Scope], Match] = lambda scope: Match.NONE,
    ) -> None:
        """`reads(scope)`: how a read of the application matches the request; one that answers
        it (a list read on a command's path: `GET /v1/programs`) gets it."""
        self.app = app
        self.handlers = handlers
        self.reads = reads
        self.routes = [(c.pattern("[^/]+"), c, endpoint(c)) for c in COMMANDS]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = _route_path(scope)
            for pattern, command, serve in self.routes:
                found = pattern.fullmatch(path)
                if not found:
                    continue
                answer = serve
                if scope["method"] != "POST":
                    read = self.reads(scope)
                    if read == Match.FULL:
                        break
                    # A read on the same path (a list) is another method it allows.
                    answer = _GET_OR_POST if read == Match.PARTIAL else _POST_ONLY
                scope["path_params"] = found.groupdict()
                scope["route"] = command  # its `path` template labels metrics and logs
                await self._serve(answer, scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _serve(self, serve: Endpoint, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            response = await serve(request)
        except Exception as error:
            handler = self._handler(type(error))
            if handler is None:
                raise  # api/observability.py answers 500, logs and counts it
            response = handler(request, error)
            if inspect.isawaitable(response):
                response = await response
        await response(scope, receive, send)

    def _handler(self, kind: type[Exception]) -> Any:
        """The handler of this kind of error, as Starlette's exception middleware finds it. The
        handler for every `Exception` is FastAPI's outermost layer's, which commands do not pass
        through: an unexpected error goes on to the request's observer, which answers it as it
        does on any route (a 500 problem, logged and counted)."""
        for cls in kind.__mro__:
            if cls is Exception:
                return None
            if cls in self.handlers:
                return self.handlers[cls]
        return None


def _route_path(scope: Scope) -> str:
    """The path below the application's root path, as Starlette's router matches it."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


# /openapi.json

_ANSWER = {"application/json": {"schema": {"$ref": "#/components/schemas/Answer"}}}


def document(app: FastAPI) -> None:
    """Put the commands into the application's OpenAPI document, ahead of its routes."""
    framework = app.openapi

    def with_commands() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = framework()
            paths = {c.path: {"post": _operation(c)} for c in COMMANDS}
            for path, operations in schema["paths"].items():  # a read may share a command's path
                paths.setdefault(path, {}).update(operations)
            schema["paths"] = paths
            schemas = schema.setdefault("components", {}).setdefault("schemas", {})
            schemas.update(_body_schemas())
            schemas.setdefault("Answer", Answer.model_json_schema(mode="serialization"))
            restore_examples(schemas)
            _link_reads(schema["paths"])
        return app.openapi_schema or {}

    app.openapi = with_commands  # type: ignore[method-assign]


def _operation(command: Command) -> dict[str, Any]:
    """A command's operation, as FastAPI documents a route: path ids, headers, body, answers."""
    problems = {
        str(status): {
            "description": problem["description"],
            "content": {**problem["content"], "application/json": {"schema": PROBLEM_SCHEMA}},
        }
        for status, problem in PROBLEMS.items()
    }
    ids = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "format": "uuid", "title": name.replace("_", " ").title()},
        }
        for name in command.ids
    ]
    body = {"$ref": f"#/components/schemas/{command.body.__name__}"}
    return {
        "tags": ["commands"],
        "summary": command.summary,
        "description": command.summary,
        "operationId": command.name,
        "responses": {
            "201": {"description": "Successful Response", "content": _ANSWER},
            "200": {"description": "Idempotent replay", "content": _ANSWER},
            **problems,
        },
        "parameters": [*ids, *DOCUMENTED],
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "security": [{"HTTPBearer": []}],
    }


def _body_schemas() -> dict[str, Any]:
    """The bodies' schemas (and those they refer to)."""
    _, schemas = models_json_schema(
        [(command.body, "validation") for command in COMMANDS],
        ref_template="#/components/schemas/{model}",
    )
    return dict(schemas.get("$defs", {}))


def _link_reads(paths: dict[str, Any]) -> None:
    """OpenAPI links from each command's answer to what a client reads or sends next: what it
    created (`POST /v1/episodes` -> `GET /v1/episodes/{episode_id}` and the episode's commands,
    `id` of the answer), and the reads of the record it changed (a placement -> its episode).
    Made from the paths, so a new command is linked as soon as it is in the table."""
    for command in COMMANDS:
        links: dict[str, Any] = {}
        created = [p for p in paths if p.startswith(command.path + "/{")]
        changed = [
            p for p in paths if "get" in paths[p] and _parent(command.path) in (p, *_prefixes(p))
        ]
        for path in dict.fromkeys([*created, *changed]):
            for method, operation in paths[path].items():
                parameters = _link_parameters(command, path)
                if parameters is not None and operation["operationId"] != command.name:
                    links[operation["operationId"]] = {
                        "operationId": operation["operationId"],
                        "parameters": parameters,
                        "description": f"{method.upper()} {path} after {command.summary.lower()}",
                    }
        responses = paths[command.path]["post"]["responses"]
        for status in ("200", "201"):
            responses[status] = {**responses[status], "links": links}


def _parent(path: str) -> str:
    """The record a command's path acts on: the path up to its last id."""
    return path[: path.rindex("}") + 1] if "}" in path else path


def _prefixes(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:n]) for n in range(2, len(parts))]


def _link_parameters(command: Command, target: str) -> dict[str, str] | None:
    """Where each id of `target`'s path comes from: the command's own path, or the id its answer
    names when the target's path goes on from the command's; None if one has no source."""
    created = target.startswith(command.path + "/{")
    parameters = {}
    for name in re.findall(r"{(\w+)}", target):
        if name in command.ids:
            parameters[name] = f"$request.path.{name}"
        elif created and f"{command.path}/{{{name}}}" in target:
            parameters[name] = "$response.body#/id"
        else:
            return None
    return parameters
