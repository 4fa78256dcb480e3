"""The command routes, made from the command table, and `/v1/batch` for offline sync."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel, Field, ValidationError

from api.auth import Principal
from api.command import Command, Params, execute
from api.command_endpoint import MAX_KEY, body_schemas, endpoint, openapi
from api.command_table import COMMANDS
from api.deps import authenticate, components, request_id
from api.problems import PROBLEMS, ProblemBody, ProblemError, domain_problem, problem_content
from domain.application import Context
from domain.base import Actor, DomainError

MAX_BATCH = 1000


class Answer(BaseModel):
    """What a command answers: the id it created or changed, that aggregate's version, the log
    position to pass as `min_position` to read your own write."""

    id: UUID
    version: int
    position: int


class BatchItem(BaseModel):
    method: str = Field("POST", pattern="^POST$")
    path: str = Field(max_length=300)
    idempotency_key: str = Field(min_length=1, max_length=MAX_KEY)
    body: dict[str, Any]


class BatchRequest(BaseModel):
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


def _batch_item(request: Request, principal: Principal, item: BatchItem) -> BatchResult:
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
    try:
        result = execute(components(request).ledger, principal, command, params, body, ctx)
    except DomainError as error:
        content = domain_problem(error)
        return BatchResult(status=content["status"], problem=ProblemBody(**content))
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
        return app.openapi_schema or {}

    app.openapi = openapi_with_bodies  # type: ignore[method-assign]


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

    @commands.post(
        "/v1/batch", response_model=BatchAnswer, responses=PROBLEMS, operation_id="batch"
    )
    def batch(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        batch: BatchRequest,
    ) -> BatchAnswer:
        """Offline sync: commands in order, each with its own idempotency key and result.

        A refused command does not undo the others; sending the same batch again writes nothing
        twice (every command replays its first answer).
        """
        return BatchAnswer(
            results=[_batch_item(request, principal, item) for item in batch.commands]
        )

    return commands
