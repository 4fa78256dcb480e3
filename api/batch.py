"""`/v1/batch` for offline sync: the table's commands in order, each with its own key and answer."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import anyio
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import Principal
from api.command_headers import IDEMPOTENCY_KEY
from api.command_routes import Answer, execute
from api.command_table import COMMANDS, Command, Params
from api.deps import authenticate, components, request_id
from api.field_hints import with_hints
from api.on_loop import run_on_loop
from api.problems import PROBLEMS, ProblemBody, problem_content, refusal
from domain.base import Actor
from domain.commands import Context

MAX_BATCH = 1000
# Batches served at once by one process; the others wait on the event loop, holding no thread.
# Their commands run on the loop (api/on_loop.py), so each batch at work lengthens the loop's
# turn, which /health and /ready wait for: with more at once, a probe meeting many arriving
# batches waited longer (ops/bench/DECISIONS.md).
BATCHES_AT_ONCE = 4
BATCH_PATH = "/v1/batch"


class BatchTurns:
    """Plain ASGI in front of FastAPI: a batch waits for its turn before anything of it is read.

    Waiting inside the route was too late: the loop first read, parsed, validated and
    authenticated every arriving batch through FastAPI's layers, and a probe that came in with
    many of them waited for that. Here a waiting batch costs the loop nothing.
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


def _refused(content: dict[str, Any]) -> BatchResult:
    return BatchResult(status=content["status"], problem=ProblemBody(**content))


async def _batch_item(request: Request, principal: Principal, item: BatchItem) -> BatchResult:
    matched = _match(item.path)
    if matched is None:
        return _refused(problem_content(404, "not_found", "No such command path"))
    command, params = matched
    try:
        body = command.body.model_validate(item.body)
    except ValidationError as error:
        errors = with_hints(
            command,
            [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in error.errors()],
        )
        return _refused(
            problem_content(422, "invalid_request", "The command is not valid", errors=errors)
        )
    ctx = Context(
        Actor(principal.subject, principal.role, request_id(request)),
        idempotency_key=item.idempotency_key,
    )
    ledger = components(request).ledger
    try:
        result = await run_on_loop(execute, ledger, principal, command, params, body, ctx)
    except Exception as error:
        refused = refusal(error)
        if refused is None:
            raise
        return _refused(refused[0])
    answer = Answer.of(result)
    return BatchResult(status=200 if result.replayed else 201, result=answer)


def router() -> APIRouter:
    batches = APIRouter(tags=["commands"])

    @batches.post(BATCH_PATH, response_model=BatchAnswer, responses=PROBLEMS, operation_id="batch")
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

    return batches
