"""Caseloads: a caseworker's open episodes, last contacts and what is overdue."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from api import policy
from api.answers import CaseloadAnswer
from api.auth import Principal
from api.bodies import Day
from api.deps import authenticate
from api.model_reads import MinPosition, answer, reading_of
from api.problems import PROBLEMS
from api.read_params import Cursor, Limit, page


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
        min_position: MinPosition = None,
        limit: Limit = 100,
        cursor: Cursor = None,
    ) -> Response:
        """A caseworker's open episodes, last contacts and what is overdue (in your programs)."""
        policy.check_caseload(principal, caseworker)
        model, opening = reading_of(request, "caseloads", min_position)
        with opening as reading:
            load = model.caseload(reading, caseworker, as_of or datetime.now(UTC).date())  # type: ignore[attr-defined]
        mine, overdue = policy.caseload_shown(principal, load.episodes, load.overdue)
        items, following = page(mine, limit, cursor)
        return answer(
            request,
            {
                "caseworker": caseworker,
                "as_of": load.as_of,
                "episodes": items,
                "next_cursor": following,
                "overdue": overdue,
                "position": reading.position,
            },
        )

    return caseloads
