"""Caseloads: a caseworker's open episodes, last contacts and what is overdue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from api import policy
from api.answers import CaseloadAnswer
from api.auth import Principal
from api.bodies import Day
from api.deps import authenticate, components
from api.model_reads import MinPosition, answer, reading_of
from api.problems import PROBLEMS
from api.read_params import Cursor, KnownAt, Limit, page
from api.report_routes import in_utc


def router() -> APIRouter:
    caseloads = APIRouter(tags=["read models"], responses=PROBLEMS)

    @caseloads.get(
        "/v1/caseloads/{caseworker}", operation_id="caseload", response_model=CaseloadAnswer
    )
    def caseload(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        caseworker: Annotated[str, Path(max_length=200)],
        as_of: Day | None = None,
        known_at: KnownAt = None,
        min_position: MinPosition = None,
        limit: Limit = 100,
        cursor: Cursor = None,
    ) -> Response:
        """A caseworker's open episodes, last contacts and what is overdue (in your programs):
        effective on `as_of` (today if left out), as the ledger knew it at `known_at` (now)."""
        policy.check_caseload(principal, caseworker)
        day = as_of or components(request).ledger.clock()
        moment = in_utc(known_at) if known_at else None
        model, opening = reading_of(request, "caseloads", min_position)
        with opening as reading:
            load = model.caseload(reading, caseworker, day, moment)  # type: ignore[attr-defined]
        mine, overdue = policy.caseload_shown(principal, load.episodes, load.overdue)
        items, following = page(mine, limit, cursor)
        return answer(
            request,
            {
                "caseworker": caseworker,
                "as_of": load.as_of,
                "known_at": load.known_at,
                "episodes": items,
                "next_cursor": following,
                "overdue": overdue,
                "position": reading.position,
            },
        )

    return caseloads
