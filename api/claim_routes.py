"""Claims: a supervisor submits one for a program and period (frozen as known at a moment, see
api/claim_basis.py); it is read with each line's verdict, and the assessor's decision."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response

from api import policy
from api.answers import csv_too
from api.auth import Principal
from api.bodies import Body, Day, Id, Moment
from api.claim_answers import (
    ClaimAnswer,
    ClaimLine,
    ClaimLines,
    ClaimList,
    ClaimPackage,
    ClaimSummary,
)
from api.claim_basis import claim_basis
from api.claim_package import claim_package
from api.claim_restatement import Restatement, restatement
from api.command_headers import idempotency_key
from api.command_routes import answer_body
from api.deps import authenticate, components, request_id
from api.model_reads import MinPosition, answer, reading_of
from api.problems import PROBLEMS, ProblemError
from api.read_params import (
    MAX_OFFSET,
    Cursor,
    KnownAt,
    Limit,
    ProgramRef,
    cursor_at,
    offset_of,
    program_id_of,
)
from domain.base import Actor
from domain.claim import Claim
from domain.commands import Context


class ClaimRequest(Body):
    """A claim for the program's outcomes achieved in the period, as known at `known_at`
    (default: now)."""

    program_id: Id
    period_start: Day
    period_end: Day
    known_at: Moment | None = None


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

    @claims.get("/v1/claims", operation_id="list_claims", response_model=ClaimList)
    def listed(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        program: ProgramRef | None = None,
        cursor: Cursor = None,
        limit: Limit = 100,
        min_position: MinPosition = None,
    ) -> ClaimList:
        """Claims (of one program, by id or code), in the order submitted, as far as the
        caller's programs go."""
        policy.require(principal, *policy.CLAIM_READERS)
        shown = policy.programs_shown(principal)
        if program is not None:
            asked = program_id_of(program)
            policy.check_program(principal, asked)
            shown = frozenset({asked})
        offset = offset_of(cursor)
        model, opening = reading_of(request, "directory", min_position)
        with opening as reading:
            found = model.claims(reading, shown, offset, limit + 1)  # type: ignore[attr-defined]
        return ClaimList(
            claims=[
                ClaimSummary(
                    id=UUID(c.claim_id),
                    program_id=UUID(c.program_id),
                    period_start=c.period_start,
                    period_end=c.period_end,
                    total=c.total,
                    submitted_by=c.submitted_by,
                    decision=c.decision,
                    paid=c.paid,
                )
                for c in found[:limit]
            ],
            next_cursor=cursor_at(offset + limit) if len(found) > limit else None,
            position=reading.position,
        )

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

    @claims.api_route(
        "/v1/claims", methods=["PUT", "PATCH", "DELETE", "OPTIONS"], include_in_schema=False
    )
    def other_methods() -> None:
        """Two routes share the path: the Allow of a 405 names both (Starlette's names one)."""
        raise HTTPException(405, headers={"Allow": "GET, POST"})

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

    @claims.get(
        "/v1/claims/{claim_id}/package",
        operation_id="claim_package",
        response_model=ClaimPackage,
    )
    def package(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        claim_id: UUID,
        from_position: Annotated[int | None, Query(ge=1, le=MAX_OFFSET)] = None,
    ) -> JSONResponse:
        """The claim's package for its assessor, to check offline with
        ops/audit/verify_claim.py; `from_position` reaches back to a checkpoint you kept."""
        found: Claim = components(request).ledger.load(Claim, claim_id)
        policy.check_claim_reader(principal, found)
        body = claim_package(components(request), claim_id, from_position)
        return JSONResponse(
            body,
            headers={"Content-Disposition": f'attachment; filename="claim-{claim_id}.json"'},
        )

    return claims
