"""The command routes, made from the command table, and `/v1/batch` for offline sync."""

from __future__ import annotations

import inspect
import re
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Path, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from api.auth import Principal
from api.command import Command, Params
from api.command_table import COMMANDS
from api.deps import authenticate, components, request_id
from api.problems import PROBLEMS, ProblemBody, ProblemError, domain_problem, problem_content
from domain.application import CommandResult, Context
from domain.base import Actor, DomainError
from domain.ledger import Ledger
from domain.participant import Participant

MAX_BATCH = 1000
MAX_KEY = 200


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


# The two headers are read by the route itself, and documented here: FastAPI's parsing of
# declared header parameters took a fifth of the event loop's CPU per command.
COMMAND_HEADERS = [
    {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": f"The same key and body give the first answer again (1-{MAX_KEY} chars)",
        "schema": {"type": "string", "maxLength": MAX_KEY},
    },
    {
        "name": "If-Match",
        "in": "header",
        "required": False,
        "description": "The version the command expects (the last ETag); 409 if stale",
        "schema": {"type": "string", "maxLength": 40},
    },
]


def idempotency_key(header: str | None) -> str | None:
    if header is not None and not 0 < len(header) <= MAX_KEY:
        raise ProblemError(
            422, "invalid_idempotency_key", f"Idempotency-Key must have 1 to {MAX_KEY} characters"
        )
    return header


def expected_version(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise ProblemError(400, "invalid_if_match", "If-Match must carry a version number")
    return int(tag)


def authorize(
    principal: Principal, ledger: Ledger, command: Command, params: Params, body: Any
) -> None:
    """Refuse a caller whose role or programs do not allow this command on this target."""
    if command.scope == "admin":
        if not principal.has("admin"):
            raise ProblemError(403, "forbidden", "Only an admin may do this")
        return
    if not principal.has("caseworker", "supervisor"):
        raise ProblemError(403, "forbidden", "Only caseworkers and supervisors record this")
    programs: set[UUID] = set()
    if command.scope == "episode":
        programs = {ledger.program_of(params["episode_id"])}
    elif command.scope == "new_episode":
        programs = {body.program_id}
        _check_participant(principal, ledger, body.participant_id)
    elif command.scope == "participant":
        _check_participant(principal, ledger, params["participant_id"])
    if any(not principal.covers(program) for program in programs):
        raise ProblemError(403, "forbidden", "Not within your programs")


def _check_participant(principal: Principal, ledger: Ledger, participant_id: UUID) -> None:
    """A participant with no episode yet is anyone's to prepare (consent before intake); else the
    caller must cover one of the programs the person has an episode in."""
    joined = ledger.load(Participant, participant_id).in_programs()
    if joined and not any(principal.covers(program) for program in joined):
        raise ProblemError(403, "forbidden", "The participant belongs to programs you do not cover")


def execute(
    ledger: Ledger, principal: Principal, command: Command, params: Params, body: Any, ctx: Context
) -> CommandResult:
    authorize(principal, ledger, command, params, body)
    return command.run(ledger, ctx, params, body)


def _route(command: Command) -> Any:
    path_params = re.findall(r"{(\w+)}", command.path)

    def route(request: Request, principal: Principal, body: Any, **params: UUID) -> Response:
        state = components(request)
        ctx = Context(
            Actor(principal.subject, principal.role, request_id(request)),
            idempotency_key=idempotency_key(request.headers.get("idempotency-key")),
            expected_version=expected_version(request.headers.get("if-match")),
        )
        result = execute(state.ledger, principal, command, params, body, ctx)
        request.state.command_outcome = "replayed" if result.replayed else "written"
        return JSONResponse(
            Answer(id=result.id, version=result.version, position=result.position).model_dump(
                mode="json"
            ),
            status_code=200 if result.replayed else 201,
            headers={"Location": command.location(params, result), "ETag": f'"{result.version}"'},
        )

    parameters = [
        inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
        inspect.Parameter(
            "principal",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[Principal, Depends(authenticate)],
        ),
        inspect.Parameter(
            "body", inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[command.body, Body()]
        ),
        *(
            inspect.Parameter(
                name, inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[UUID, Path()]
            )
            for name in path_params
        ),
    ]
    route.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    route.__name__ = command.name
    route.__doc__ = command.summary
    return route


def _match(path: str) -> tuple[Command, Params] | None:
    for command in COMMANDS:
        pattern = re.sub(r"{(\w+)}", r"(?P<\1>[0-9a-fA-F-]{32,36})", command.path)
        found = re.fullmatch(pattern, path)
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


def router() -> APIRouter:
    commands = APIRouter(tags=["commands"])
    for command in COMMANDS:
        commands.add_api_route(
            command.path,
            _route(command),
            methods=["POST"],
            status_code=201,
            response_model=Answer,
            responses={200: {"model": Answer, "description": "Idempotent replay"}, **PROBLEMS},
            summary=command.summary,
            operation_id=command.name,
            openapi_extra={"parameters": COMMAND_HEADERS},
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
