"""Claims: a supervisor submits one for a program and period (frozen as known at a moment, see
api/claim_basis.py); it is read with each line's verdict, and the assessor's decision."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import Field

from api import policy
from api.answers import ReadAnswer, csv_too, documented
from api.auth import Principal
from api.bodies import Body, Day, Id, Moment
from api.claim_basis import claim_basis
from api.claim_restatement import Restatement, restatement
from api.command_headers import idempotency_key
from api.command_routes import answer_body
from api.deps import authenticate, components, request_id
from api.model_reads import answer
from api.problems import PROBLEMS, ProblemError
from api.read_params import KnownAt
from domain.base import Actor
from domain.claim import Claim
from domain.commands import Context

_LINE = {
    "line": 1,
    "participant_id": "6f1c8a52-3d0e-4c1b-9a7e-2b5d8f0e4a11",
    "key": "no_return",
    "version": 1,
    "on": "2022-03-01",
    "evidence": ["423bded8-afd3-5631-ba75-273224e30148"],
    "amount": 150000,
    "verdict": "verified",
    "reason": "",
}


class ClaimRequest(Body):
    """A claim for the program's outcomes achieved in the period, as known at `known_at`
    (default: now)."""

    program_id: Id
    period_start: Day
    period_end: Day
    known_at: Moment | None = None


class ClaimLine(ReadAnswer):
    """One outcome claimed: whose, which definition (and version), the day achieved, the
    entry ids that prove it, its amount; and the assessor's verdict, if given yet."""

    line: int
    participant_id: str
    key: str
    version: int
    on: date
    evidence: list[str]
    amount: int
    verdict: str | None = None
    reason: str | None = None


class ClaimAnswer(ReadAnswer):
    """A claim as submitted, with the assessor's verdicts and decision."""

    id: UUID
    program_id: UUID
    period_start: date
    period_end: date
    known_at: datetime = Field(description="The moment the claim was frozen at")
    definitions: dict[str, int] = Field(description="Each outcome claimed, by its version")
    lines: list[ClaimLine]
    total: int
    checkpoint: dict[str, Any] | None = Field(
        description="The signed checkpoint covering every evidence event"
    )
    submitted_by: str
    decision: dict[str, Any] | None = Field(description="verdict, reason, amount paid, by")
    version: int

    model_config = documented(
        {
            "id": "0b7d2e94-81f3-4a6c-b5d0-7e3c9a1f2d48",
            "program_id": "215169e2-43f3-50c4-a5ee-ae5129360613",
            "period_start": "2021-01-01",
            "period_end": "2022-12-31",
            "known_at": "2023-01-15T09:00:00Z",
            "definitions": {"no_return": 1},
            "lines": [_LINE],
            "total": 150000,
            "checkpoint": {
                "position": 420,
                "hash": "9f2c" * 16,
                "signed_at": "2023-01-15T08:59:58Z",
                "signature": "c2lnbmF0dXJl",
            },
            "submitted_by": "supervisor-1",
            "decision": {
                "verdict": "accepted",
                "reason": "every line verified",
                "amount": 150000,
                "by": "assessor-1",
            },
            "version": 3,
        }
    )


class ClaimLines(ReadAnswer):
    """A claim's lines with their verdicts (CSV too)."""

    claim_id: str
    lines: list[ClaimLine]
    version: int = Field(description="The claim's version: 1 as submitted, +1 a judgement")
    position: int = Field(description="The log's position when it was read")

    model_config = documented(
        {
            "claim_id": "0b7d2e94-81f3-4a6c-b5d0-7e3c9a1f2d48",
            "lines": [_LINE],
            "version": 3,
            "position": 420,
        }
    )


def _lines_of(claim: Claim) -> list[ClaimLine]:
    return [
        ClaimLine(
            line=n,
            **line,
            verdict=claim.verdicts.get(n, {}).get("verdict"),
            reason=claim.verdicts.get(n, {}).get("reason"),
        )
        for n, line in enumerate(claim.lines, start=1)
    ]


def router() -> APIRouter:
    claims = APIRouter(tags=["outcomes"], responses=PROBLEMS)

    @claims.post("/v1/claims", status_code=201, operation_id="submit_claim")
    def submit(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        body: ClaimRequest,
    ) -> JSONResponse:
        """Submit a claim (supervisors): every outcome of the program achieved in the period,
        as known at `known_at`, frozen with its evidence and the checkpoint that covers it.
        Sent again with its Idempotency-Key, the first claim is answered."""
        policy.check_claim_submitter(principal, body.program_id)
        if body.period_end < body.period_start:
            raise ProblemError(422, "invalid_period", "period_end is before period_start")
        if body.known_at is not None and body.known_at > datetime.now(UTC):
            raise ProblemError(422, "invalid_value", "known_at is in the future")
        ledger = components(request).ledger
        ctx = Context(
            Actor(principal.subject, principal.role, request_id(request)),
            idempotency_key=idempotency_key(request.headers.get("idempotency-key")),
        )
        result = ledger.submit_claim(
            ctx,
            program_id=body.program_id,
            period_start=body.period_start,
            period_end=body.period_end,
            known_at=body.known_at,
            basis=claim_basis(
                components(request), body.program_id, body.period_start, body.period_end
            ),
        )
        return JSONResponse(
            answer_body(result),
            status_code=200 if result.replayed else 201,
            headers={"Location": f"/v1/claims/{result.id}", "ETag": f'"{result.version}"'},
        )

    @claims.get("/v1/claims/{claim_id}", operation_id="get_claim", response_model=ClaimAnswer)
    def claim(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        claim_id: UUID,
        known_at: KnownAt = None,
    ) -> ClaimAnswer:
        """A claim as submitted, with the verdicts and decision recorded (by `known_at`)."""
        found: Claim = components(request).ledger.load_as_known(Claim, claim_id, known_at)
        policy.check_claim_reader(principal, found)
        return ClaimAnswer(
            id=found.id,
            program_id=found.program_id,
            period_start=found.period_start,
            period_end=found.period_end,
            known_at=found.known_at,
            definitions=found.definitions,
            lines=_lines_of(found),
            total=found.total,
            checkpoint=found.checkpoint,
            submitted_by=found.submitted_by,
            decision=found.decision,
            version=found.version,
        )

    @claims.get(
        "/v1/claims/{claim_id}/lines",
        operation_id="claim_lines",
        response_model=ClaimLines,
        responses=csv_too(ClaimLines),
    )
    def lines(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        claim_id: UUID,
        known_at: KnownAt = None,
    ) -> Response:
        """The claim's lines with their verdicts; CSV with `Accept: text/csv` (evidence ids
        separated by spaces)."""
        found: Claim = components(request).ledger.load_as_known(Claim, claim_id, known_at)
        policy.check_claim_reader(principal, found)
        listed = [line.model_dump(mode="json") for line in _lines_of(found)]
        rows = [{**line, "evidence": " ".join(line["evidence"])} for line in listed]
        ledger = components(request).ledger
        body = {
            "claim_id": str(found.id),
            "lines": listed,
            "version": found.version,
            "position": ledger.recorder.max_notification_id() or 0,
        }
        return answer(request, body, rows)

    @claims.get(
        "/v1/claims/{claim_id}/restatement",
        operation_id="restate_claim",
        response_model=Restatement,
    )
    def restated(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        claim_id: UUID,
    ) -> Restatement:
        """The claim line by line against what the ledger knows now (same definitions, same
        period), with the entries recorded since that make each difference."""
        found: Claim = components(request).ledger.load(Claim, claim_id)
        policy.check_claim_reader(principal, found)
        return restatement(components(request), found)

    return claims
