"""Occupancy: every facility on a day, or one facility day by day with its bed-nights."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response

from api import policy
from api.answers import FacilityDayAnswer, FacilityPeriodAnswer, OccupancyAnswer, csv_too
from api.auth import Principal
from api.bodies import Day
from api.deps import authenticate, components
from api.history import plain
from api.model_reads import MinPosition, answer, reading_of
from api.problems import PROBLEMS, ProblemError
from projections.model import Reading


def router() -> APIRouter:
    occupancy_router = APIRouter(tags=["read models"], responses=PROBLEMS)

    @occupancy_router.get(
        "/v1/occupancy",
        operation_id="occupancy",
        response_model=OccupancyAnswer,
        responses=csv_too(OccupancyAnswer),
    )
    def occupancy(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        on: Day,
        min_position: MinPosition = None,
    ) -> Response:
        """Every facility on a day: capacity, residents, free beds (and who, for case staff)."""
        policy.check_occupancy(principal)
        model, opening = reading_of(request, "occupancy", min_position)
        with opening as reading:
            days = model.on(reading, on)  # type: ignore[attr-defined]
        rows = [_day_row(day, principal) for day in days]
        return answer(request, {"on": on, "facilities": rows, "position": reading.position}, rows)

    @occupancy_router.get(
        "/v1/facilities/{facility_id}/occupancy",
        operation_id="facility_occupancy",
        response_model=FacilityDayAnswer | FacilityPeriodAnswer,
        responses=csv_too(FacilityDayAnswer | FacilityPeriodAnswer),  # type: ignore[arg-type]
    )
    def facility_occupancy(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        facility_id: UUID,
        on: Day | None = None,
        start: Annotated[Day | None, Query(alias="from")] = None,
        end: Annotated[Day | None, Query(alias="to")] = None,
        min_position: MinPosition = None,
    ) -> Response:
        """One facility on a day (`on`, today if left out), or day by day over `from`..`to` with
        bed-nights and utilisation counted up to today (`counted_to`): nights to come count
        neither as used nor as offered."""
        policy.check_occupancy(principal)
        today = components(request).ledger.clock()
        model, opening = reading_of(request, "occupancy", min_position)
        with opening as reading:
            if start is not None and end is not None:
                if end < start or (end - start).days > 731:
                    raise ProblemError(
                        422, "invalid_period", "from..to must be ordered and at most 2 years"
                    )
                return _period(request, principal, model, reading, facility_id, start, end, today)
            days = model.on(reading, on or today, facility_id)  # type: ignore[attr-defined]
        if not days:
            raise ProblemError(404, "not_found", f"no facility {facility_id}")
        row = _day_row(days[0], principal)
        return answer(request, {**row, "position": reading.position}, [row])

    return occupancy_router


def _day_row(day: Any, principal: Principal) -> dict[str, Any]:
    row = {
        "facility_id": day.facility_id,
        "name": day.name,
        "kind": day.kind,
        "settlement": day.settlement,
        "day": day.day.isoformat(),
        "capacity": day.capacity,
        "residents": day.residents,
        "free_beds": day.free_beds,
    }
    if policy.shows_residents(principal):
        row["beds"] = [plain(bed) for bed in day.beds]
    return row


def _period(
    request: Request,
    principal: Principal,
    model: Any,
    reading: Reading,
    facility_id: UUID,
    start: date,
    end: date,
    today: date,
) -> Response:
    try:
        period = model.period(reading, facility_id, start, end, today)
    except LookupError as error:
        raise ProblemError(404, "not_found", str(error)) from None
    days = [_day_row(day, principal) for day in period.days]
    return answer(
        request,
        {
            "facility_id": str(facility_id),
            "from": start,
            "to": end,
            "counted_to": period.counted_to,
            "bed_nights": period.bed_nights,
            "capacity_nights": period.capacity_nights,
            "utilisation": period.utilisation,
            "days": days,
            "position": reading.position,
        },
        [{k: v for k, v in d.items() if k != "beds"} for d in days],
    )
