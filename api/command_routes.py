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
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any
from uuid import UUID

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import Principal
from api.bodies import CANONICAL_UUID, Body
from api.command_headers import DOCUMENTED, expected_version, idempotency_key
from api.command_table import COMMANDS, Command, Params
from api.deps import authenticate, components, request_id
from api.on_loop import run_on_loop
from api.policy import check_command, duplicate_shown
from api.problems import PROBLEM_SCHEMA, PROBLEMS
from domain.base import Actor
from domain.commands import CommandResult, Context
from domain.ledger import Ledger
from domain.personal_data import DuplicatePersonError

Endpoint = Callable[[Request], Awaitable[Response]]


class Answer(BaseModel):
    """What a command answers: the id it created or changed, that aggregate's version, the log
    position to pass as `min_position` to read your own write."""

    id: UUID
    version: int
    position: int


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
        body = _body(command.body, request.headers.get("content-type"), await request.body())
        ctx = Context(
            Actor(principal.subject, principal.role, request_id(request)),
            idempotency_key=idempotency_key(request.headers.get("idempotency-key")),
            expected_version=expected_version(request.headers.get("if-match")),
        )
        ledger = components(request).ledger
        result = await run_on_loop(execute, ledger, principal, command, params, body, ctx)
        request.state.command_outcome = "replayed" if result.replayed else "written"
        return JSONResponse(
            {"id": str(result.id), "version": result.version, "position": result.position},
            status_code=200 if result.replayed else 201,
            headers={"Location": command.location(params, result), "ETag": f'"{result.version}"'},
        )

    return route


def _not_allowed(methods: set[str]) -> Endpoint:
    async def refuse(request: Request) -> Response:
        raise HTTPException(405, headers={"Allow": ", ".join(sorted(methods))})

    return refuse


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


def _body(model: type[Body], content_type: str | None, raw: bytes) -> Body:
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


class CommandRoutes:
    """Plain ASGI: a request whose path a command's template matches is answered here (a POST
    by the command's endpoint, any other method with 405); errors by the application's own
    exception handlers. Anything else goes on to the application.

    No other route's template matches a command's path (tests/api/test_command_requests.py),
    so FastAPI would answer such a request the same way."""

    def __init__(
        self, app: ASGIApp, handlers: Mapping[Any, Any], reads: Sequence[BaseRoute] = ()
    ) -> None:
        """`reads`: the application's routes; a path both a command and a read (GET
        /v1/participants) is the application's for any method but POST."""
        self.app = app
        self.handlers = handlers
        self.reads = reads
        self.routes = [(c.pattern("[^/]+"), c, endpoint(c)) for c in COMMANDS]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = _route_path(scope)
            for pattern, command, serve in self.routes:
                found = pattern.fullmatch(path)
                if found:
                    read = self._read_methods(scope)
                    if scope["method"] != "POST" and scope["method"] in read:
                        break
                    scope["path_params"] = found.groupdict()
                    scope["route"] = command  # its `path` template labels metrics and logs
                    answer = serve if scope["method"] == "POST" else _not_allowed({"POST", *read})
                    await self._serve(answer, scope, receive, send)
                    return
        await self.app(scope, receive, send)

    def _read_methods(self, scope: Scope) -> set[str]:
        """The methods the application's routes answer on this path (none: only a command)."""
        return {
            method
            for route in self.reads
            if route.matches(scope)[0] is not Match.NONE
            for method in getattr(route, "methods", None) or ()
        }

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
            paths: dict[str, Any] = {c.path: {"post": _operation(c)} for c in COMMANDS}
            for path, operations in schema["paths"].items():  # a path may be read and posted
                paths[path] = {**paths.get(path, {}), **operations}
            schema["paths"] = paths
            schemas = schema.setdefault("components", {}).setdefault("schemas", {})
            schemas.update(_body_schemas())
            schemas.setdefault("Answer", Answer.model_json_schema(mode="serialization"))
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
