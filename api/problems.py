"""Every error as application/problem+json (RFC 9457) with a machine-readable `code`."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import OperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from domain.base import DomainError, InvalidValueError, NotFoundError
from domain.commands import ConcurrentWriteError, StaleVersionError
from domain.idempotency import IdempotencyKeyReusedError
from domain.personal_data import DuplicatePersonError
from domain.program import ProgramCodeTakenError
from projections.read_your_writes import ReadModelTimeoutError
from store.committer import OverloadedError
from store.erasure_list import ErasureNotListedError
from store.keyring import KeyNotDestroyedError

MEDIA_TYPE = "application/problem+json"


class ProblemBody(BaseModel):
    """RFC 9457 problem details; `code` names the rule or reason for machines."""

    type: str
    title: str
    status: int
    code: str
    detail: str | None = None
    errors: list[dict[str, Any]] | None = None
    request_id: str | None = None
    # duplicate_person: the participant already registered, if the caller may see them
    existing_participant_id: str | None = None


PROBLEM_SCHEMA = {"$ref": "#/components/schemas/ProblemBody"}
# Documented on every route, so clients (and schema checks) know errors come as problem+json.
PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {
        "model": ProblemBody,
        "description": description,
        "content": {MEDIA_TYPE: {"schema": PROBLEM_SCHEMA}},
    }
    for status, description in {
        400: "Malformed header or cursor",
        401: "Missing or invalid token",
        403: "Role or program not allowed",
        404: "Unknown id",
        409: "A domain rule refused it",
        412: "If-Match is stale",
        413: "Body too large",
        422: "Invalid request, or a rule on values",
        500: "Unexpected failure, logged with its request id",
        503: "Busy or read model behind; retry",
    }.items()
}


class ProblemError(Exception):
    """An error raised by the API layer itself (auth, headers, lookups)."""

    def __init__(
        self,
        status: int,
        code: str,
        title: str,
        detail: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(title)
        self.status, self.code, self.title, self.detail = status, code, title, detail
        self.headers = headers or {}


def problem_content(
    status: int, code: str, title: str, detail: str | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "type": f"https://ledger.example/problems/{code}",
        "title": title,
        "status": status,
        "code": code,
        "detail": detail,
        **extra,
    }


def problem(
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    return JSONResponse(
        problem_content(status, code, title, detail, **extra),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def internal_error(request_id: str) -> JSONResponse:
    """The answer to an error nothing expected: no detail, the id the log line carries."""
    return problem(
        500,
        "internal_error",
        "The server failed; the request id finds its log line",
        request_id=request_id,
    )


def domain_status(error: DomainError) -> int:
    """The HTTP status a broken domain rule answers with."""
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, StaleVersionError):
        return 412
    if isinstance(error, ProgramCodeTakenError | ConcurrentWriteError):
        return 409
    if isinstance(error, InvalidValueError | IdempotencyKeyReusedError):
        return 422
    return 409


def refusal(error: Exception) -> tuple[dict[str, Any], dict[str, str] | None] | None:
    """The problem body and headers of a refused command (also of one in a batch): by the API's
    own checks, by a domain rule, or by the store's backpressure; None for any other error."""
    if isinstance(error, KeyNotDestroyedError | ErasureNotListedError):
        error = erasure_problem(error)
    if isinstance(error, ProblemError):
        return problem_content(error.status, error.code, error.title, error.detail), error.headers
    # Nothing was written: the command can be sent again once the writers have caught up,
    # or once the others writing to the same aggregates have let up.
    if isinstance(error, OverloadedError):
        return _described(error, 503, "overloaded"), {"Retry-After": "1"}
    if isinstance(error, DomainError):
        headers = None
        if isinstance(error, ConcurrentWriteError):
            headers = {"Retry-After": str(error.retry_after)}
        content = _described(error, domain_status(error), error.rule)
        if isinstance(error, DuplicatePersonError) and error.existing_id is not None:
            content["existing_participant_id"] = str(error.existing_id)
        return content, headers
    return None


# How to fix what a broken rule refused, by its code, when the fix is another request.
FIXES = {
    "consent_required": "Record the participant's consent first:"
    " POST /v1/participants/{participant_id}/consents, then send this again",
    "service_not_offered": "A program's own kinds are added with"
    " POST /v1/programs/{program_id}/services (admin)",
    "claim_evidence_unsealed": "The seal signs a checkpoint every LEDGER_CHECKPOINT_EVERY_EVENTS"
    " events or LEDGER_CHECKPOINT_EVERY_SECONDS seconds (GET /v1/audit/checkpoints/latest shows"
    " the last); send the claim again once one is signed",
    "claim_unsealed": "The seal signs a checkpoint every LEDGER_CHECKPOINT_EVERY_EVENTS events or"
    " LEDGER_CHECKPOINT_EVERY_SECONDS seconds (GET /v1/audit/checkpoints/latest shows the last);"
    " ask for the package again once one is signed",
}


def _described(error: Exception, status: int, code: str) -> dict[str, Any]:
    """A problem titled by the first line of the error class's docstring; its detail says how to
    fix it where another request does."""
    title = (type(error).__doc__ or type(error).__name__).strip().splitlines()[0]
    detail = str(error)
    if code in FIXES:
        detail = f"{detail}. {FIXES[code]}" if detail else FIXES[code]
    return problem_content(status, code, title, detail)


def erasure_problem(error: KeyNotDestroyedError | ErasureNotListedError) -> ProblemError:
    """An erasure recorded but not finished: retried with the same Idempotency-Key, it finishes."""
    if isinstance(error, KeyNotDestroyedError):
        return ProblemError(
            503,
            "erasure_incomplete",
            "The erasure is recorded, but the key store could not be rewritten yet",
            f"{error}. Send the same request again with the same Idempotency-Key, or run"
            " `ledger erasures reapply`.",
            {"Retry-After": "5"},
        )
    return ProblemError(
        503,
        "erasure_not_listed",
        "The erasure is recorded, but the erasure list could not be written",
        f"{error}. Fix the file or LEDGER_ERASURE_LIST_FILE,"
        " then send the same request again with the same Idempotency-Key.",
        {"Retry-After": "5"},
    )


def install(app: FastAPI) -> None:
    """Map every error the API can meet to a problem response; one nothing expected becomes
    a 500 `internal_error` problem."""

    def _refused(request: Request, error: Exception) -> JSONResponse:
        refused = refusal(error)
        assert refused is not None  # installed for the errors it maps
        content, headers = refused
        return JSONResponse(
            content, status_code=content["status"], media_type=MEDIA_TYPE, headers=headers
        )

    for kind in (
        ProblemError,
        DomainError,
        OverloadedError,
        KeyNotDestroyedError,
        ErasureNotListedError,
    ):
        app.add_exception_handler(kind, _refused)

    @app.exception_handler(RequestValidationError)
    def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")}
            for e in error.errors()
        ]
        return problem(422, "invalid_request", "The request is not valid", errors=errors)

    @app.exception_handler(HTTPException)
    def _http(request: Request, error: HTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}.get(
            error.status_code, "http_error"
        )
        return problem(
            error.status_code, code, str(error.detail), headers=dict(error.headers or {})
        )

    @app.exception_handler(ReadModelTimeoutError)
    def _lagging(request: Request, error: ReadModelTimeoutError) -> JSONResponse:
        return problem(
            503,
            "read_model_behind",
            "The read model has not caught up yet",
            str(error),
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        # FastAPI's outermost layer sends this, then raises the error on to api/observability.py,
        # which logs and counts it. Async: a failing process may have no threadpool to spare.
        return internal_error(str(getattr(request.state, "request_id", "")))

    @app.exception_handler(OperationalError)
    def _busy(request: Request, error: OperationalError) -> JSONResponse:
        return problem(
            503, "store_busy", "The event store is busy; retry", headers={"Retry-After": "1"}
        )
