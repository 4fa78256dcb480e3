"""The command routes, made from the command table, and `/v1/batch` for offline sync."""

from __future__ import annotations

import re
from typing import Annotated, Any
from uuid import UUID

import anyio
from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import Principal
from api.command import Command, Params, execute
from api.command_endpoint import IDEMPOTENCY_KEY, body_schemas, endpoint, openapi
from api.command_table import COMMANDS
from api.deps import authenticate, components, request_id
from api.on_loop import run_on_loop
from api.problems import (
    PROBLEMS,
    ProblemBody,
    ProblemError,
    domain_problem,
    erasure_problem,
    problem_content,
)
from domain.application import Context
from domain.base import Actor, DomainError
from store.erasure_list import ErasureNotListedError
from store.keyring import KeyNotDestroyedError

MAX_BATCH = 1000
# Batches served at once by one process; the others wait on the event loop, holding no thread.
# Their commands run on the loop (api/on_loop.py), so each batch at work lengthens the loop's
# turn, which /health and /ready wait for. With 4, every probe but the one meeting 48 batches
# as they arrived took under 45 ms; with 8 or more, that one took longer, and batches/s did not
# come back to the 40 threads' (figures, and what that costs: ops/bench/DECISIONS.md).
BATCHES_AT_ONCE = 4
BATCH_PATH = "/v1/batch"


class BatchTurns:
    """Plain ASGI in front of FastAPI: a batch waits for its turn before anything of it is read.

    Waiting inside the route was too late: the loop first read, parsed, validated and
    authenticated every arriving batch through FastAPI's layers, and a probe that came in with
    48 of them waited up to 0.2 s for that. Here a waiting batch costs the loop nothing.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.turns = anyio.Semaphore(BATCHES_AT_ONCE)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == BATCH_PATH:
            async with self.turns:
                await self.app(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class Answer(BaseModel):
    """What a command answers: the id it created or changed, that aggregate's version, the log
    position to pass as `min_position` to read your own write."""

    id: UUID
    version: int
    position: int


class BatchItem(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    method: str = Field("POST", pattern="^POST$")
    path: str = Field(max_length=300)
    idempotency_key: str = Field(pattern=f"^{IDEMPOTENCY_KEY.pattern}$")
    body: dict[str, Any]


class BatchRequest(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    commands: list[BatchItem] = Field(min_length=1, max_length=MAX_BATCH)


class BatchResult(BaseModel):
    status: int
    result: Answer | None = None
    problem: ProblemBody | None = None


class BatchAnswer(BaseModel):
    results: list[BatchResult]


# A batch names commands by their paths with the ids filled in; anything else there is unknown.
BATCH_PATHS = [(command, command.pattern("[0-9a-fA-F-]{32,36}")) for command in COMMANDS]


def _match(path: str) -> tuple[Command, Params] | None:
    for command, pattern in BATCH_PATHS:
        found = pattern.fullmatch(path)
        if found:
            try:
                return command, {k: UUID(v) for k, v in found.groupdict().items()}
            except ValueError:
                return None
    return None


async def _batch_item(request: Request, principal: Principal, item: BatchItem) -> BatchResult:
    matched = _match(item.path)
    if matched is None:
        return BatchResult(
            status=404,
            problem=ProblemBody(**problem_content(404, "not_found", "No such command path")),
        )
    command, params = matched
    try:
        body = command.body.model_validate(item.body)
    except ValidationError as error:
        errors = [
            {"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in error.errors()
        ]
        content = problem_content(422, "invalid_request", "The command is not valid", errors=errors)
        return BatchResult(status=422, problem=ProblemBody(**content))
    ctx = Context(
        Actor(principal.subject, principal.role, request_id(request)),
        idempotency_key=item.idempotency_key,
    )
    ledger = components(request).ledger
    try:
        result = await run_on_loop(execute, ledger, principal, command, params, body, ctx)
    except DomainError as error:
        content = domain_problem(error)
        return BatchResult(status=content["status"], problem=ProblemBody(**content))
    except (KeyNotDestroyedError, ErasureNotListedError) as stopped:
        unfinished = erasure_problem(stopped)
        content = problem_content(
            unfinished.status, unfinished.code, unfinished.title, unfinished.detail
        )
        return BatchResult(status=unfinished.status, problem=ProblemBody(**content))
    except ProblemError as error:
        content = problem_content(error.status, error.code, error.title, error.detail)
        return BatchResult(status=error.status, problem=ProblemBody(**content))
    answer = Answer(id=result.id, version=result.version, position=result.position)
    return BatchResult(status=200 if result.replayed else 201, result=answer)


def install(app: FastAPI) -> None:
    """Document the commands' bodies (`api/command_dispatch.py` serves them)."""
    document = app.openapi

    def openapi_with_bodies() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = document()
            schema.setdefault("components", {}).setdefault("schemas", {}).update(
                body_schemas(COMMANDS)
            )
            link_reads(schema["paths"])
        return app.openapi_schema or {}

    app.openapi = openapi_with_bodies  # type: ignore[method-assign]


def link_reads(paths: dict[str, Any]) -> None:
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
            responses[status]["links"] = links


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


def router() -> APIRouter:
    commands = APIRouter(tags=["commands"])
    for command in COMMANDS:
        commands.add_api_route(
            command.path,
            endpoint(command),
            methods=["POST"],
            status_code=201,
            response_model=Answer,
            responses={200: {"model": Answer, "description": "Idempotent replay"}, **PROBLEMS},
            summary=command.summary,
            operation_id=command.name,
            openapi_extra=openapi(command),
        )

    @commands.post(BATCH_PATH, response_model=BatchAnswer, responses=PROBLEMS, operation_id="batch")
    async def batch(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        batch: BatchRequest,
    ) -> BatchAnswer:
        """Offline sync: commands in order, each with its own idempotency key and result.

        A refused command does not undo the others; sending the same batch again writes nothing
        twice (every command replays its first answer).
        """
        return BatchAnswer(
            results=[await _batch_item(request, principal, item) for item in batch.commands]
        )

    return commands
