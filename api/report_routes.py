"""Caseloads, occupancy and reports from the read models; JSON, or CSV with `Accept: text/csv`."""

from __future__ import annotations

import csv
import io
from datetime import MAXYEAR, UTC, date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from api.audit_routes import seal_footer
from api.auth import Principal
from api.bodies import Day
from api.deps import authenticate, components, require
from api.history import plain
from api.problems import PROBLEMS, ProblemError
from api.record_routes import Cursor, KnownAt, Limit, page
from domain.vocabulary import TargetGroup
from projections.model import Reading, ReadModel
from projections.read_your_writes import wait_for
from projections.services import DIMENSIONS

MinPosition = Annotated[
    int | None, Query(ge=0, description="Wait (bounded) until the read model reached this position")
]
READERS = ("caseworker", "supervisor", "auditor", "admin")


def reading_of(request: Request, name: str, min_position: int | None) -> tuple[ReadModel, Any]:
    state = components(request)
    model = state.models[name]
    if min_position:
        if min_position > (state.ledger.recorder.max_notification_id() or 0):
            raise ProblemError(
                422, "position_unknown", "min_position is beyond the end of the log",
                f"no command has answered position {min_position} yet",
            )  # fmt: skip
        wait_for(model, min_position, timeout=state.settings.read_wait_seconds)
    return model, model.reading()


def answer(
    request: Request,
    body: dict[str, Any],
    rows: list[dict[str, Any]] | None = None,
    footer: str | None = None,
) -> Response:
    """JSON, or CSV of `rows` when the client asks for it (then `footer` after an empty line)."""
    if rows is not None and "text/csv" in request.headers.get("accept", ""):
        out = io.StringIO()
        if rows:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        if footer:
            out.write(f"\n# {footer}\n")
        return Response(
            out.getvalue(), media_type="text/csv", headers={"X-Log-Position": str(body["position"])}
        )
    return JSONResponse(plain(body))


def in_utc(moment: datetime) -> datetime:
    """A moment in UTC; one without a zone is taken as UTC, as by the records' `known_at`. A
    moment whose UTC time is past year 9999 or before year 1 (`9999-12-31T23:59:59-23:59`) is
    after or before anything recorded: the last or first moment a datetime holds says the same."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return (datetime.max if moment.year == MAXYEAR else datetime.min).replace(tzinfo=UTC)


def check_program(principal: Principal, program: UUID) -> None:
    if not principal.covers(program) and not principal.has("admin"):
        raise ProblemError(403, "forbidden", "Not within your programs")


def router() -> APIRouter:
    reports = APIRouter(tags=["read models"], responses=PROBLEMS)
    _caseload_and_occupancy(reports)
    _reports(reports)
    return reports


def _caseload_and_occupancy(reports: APIRouter) -> None:

    @reports.get("/v1/caseloads/{caseworker}", operation_id="caseload")
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
        require(principal, *READERS)
        only_caseworker = not principal.has("supervisor", "auditor", "admin")
        if only_caseworker and caseworker != principal.subject:
            raise ProblemError(403, "forbidden", "Caseworkers read their own caseload")
        model, opening = reading_of(request, "caseloads", min_position)
        with opening as reading:
            load = model.caseload(reading, caseworker, as_of or datetime.now(UTC).date())  # type: ignore[attr-defined]
        mine = [
            e
            for e in load.episodes
            if principal.covers(UUID(e.program_id)) or principal.has("admin")
        ]
        visible = {e.episode_id for e in mine}
        items, following = page(mine, limit, cursor)
        overdue = [o for o in load.overdue if o.episode_id in visible or principal.has("admin")]
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

    @reports.get("/v1/occupancy", operation_id="occupancy")
    def occupancy(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        on: Day,
        min_position: MinPosition = None,
    ) -> Response:
        """Every facility on a day: capacity, residents, free beds (and who, for case staff)."""
        require(principal, *READERS, "analyst")
        model, opening = reading_of(request, "occupancy", min_position)
        with opening as reading:
            days = model.on(reading, on)  # type: ignore[attr-defined]
        rows = [_day_row(day, principal) for day in days]
        return answer(request, {"on": on, "facilities": rows, "position": reading.position}, rows)

    @reports.get("/v1/facilities/{facility_id}/occupancy", operation_id="facility_occupancy")
    def facility_occupancy(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        facility_id: UUID,
        on: Day | None = None,
        start: Annotated[Day | None, Query(alias="from")] = None,
        end: Annotated[Day | None, Query(alias="to")] = None,
        min_position: MinPosition = None,
    ) -> Response:
        """One facility on a day (`on`), or day by day over `from`..`to` with bed-nights."""
        require(principal, *READERS, "analyst")
        model, opening = reading_of(request, "occupancy", min_position)
        with opening as reading:
            if start is not None and end is not None:
                if end < start or (end - start).days > 731:
                    raise ProblemError(
                        422, "invalid_period", "from..to must be ordered and at most 2 years"
                    )
                return _period(request, principal, model, reading, facility_id, start, end)
            days = model.on(reading, on or datetime.now(UTC).date(), facility_id)  # type: ignore[attr-defined]
        if not days:
            raise ProblemError(404, "not_found", f"no facility {facility_id}")
        row = _day_row(days[0], principal)
        return answer(request, {**row, "position": reading.position}, [row])


def _reports(reports: APIRouter) -> None:
    @reports.get("/v1/reports/outcomes", operation_id="outcomes_report")
    def outcomes(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        program: UUID,
        start: Annotated[Day, Query(alias="from")],
        end: Annotated[Day, Query(alias="to")],
        target_group: TargetGroup | None = None,
        known_at: KnownAt = None,
        min_position: MinPosition = None,
    ) -> Response:
        """Indicator counts against targets; each counted participant with the proving event ids
        (left out for analysts). `known_at` answers exactly what the report said at that moment."""
        require(principal, *READERS, "analyst")
        check_program(principal, program)
        model, opening = reading_of(request, "outcomes", min_position)
        if known_at:
            known_at = in_utc(known_at)
            # Positions by recorded time come from the audit chain: let it reach the log head
            # (before the read transaction opens: on SQLite it would block the chain's writer).
            state = components(request)
            head = state.ledger.recorder.max_notification_id() or 0
            wait_for(state.seal, head, timeout=state.settings.read_wait_seconds)
        with opening as reading:
            try:
                report = model.report(  # type: ignore[attr-defined]
                    reading, program, start, end, target_group, known_at
                )
            except LookupError as error:
                raise ProblemError(404, "not_found", str(error)) from None
            position = reading.position
            if known_at:
                position = components(request).seal.position_at(reading.tx, known_at)
        aggregate_only = principal.has("analyst") and not principal.has(*READERS)
        indicators = [
            {
                "indicator": i.indicator,
                "count": i.count,
                "target": i.target,
                **({} if aggregate_only else {"evidence": i.evidence}),
            }
            for i in report.indicators
        ]
        rows = [{k: v for k, v in i.items() if k != "evidence"} for i in indicators]
        seal = seal_footer(request, position)
        return answer(
            request,
            {
                "program": program,
                "from": start,
                "to": end,
                "target_group": target_group,
                "indicators": indicators,
                "position": position,
                "seal": seal,
            },
            rows,
            footer=f"seal: {seal['note']}",
        )

    @reports.get("/v1/reports/services", operation_id="services_report")
    def services(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        program: UUID,
        start: Annotated[Day | None, Query(alias="from")] = None,
        end: Annotated[Day | None, Query(alias="to")] = None,
        by: Annotated[
            str, Query(pattern=r"^(kind|settlement|month|staff)(,(kind|settlement|month|staff))*$")
        ] = "kind,settlement,month",
        min_position: MinPosition = None,
        limit: Limit = 500,
        cursor: Cursor = None,
    ) -> Response:
        """Services and quantities per kind, settlement, month (and staff) of a program."""
        require(principal, *READERS, "analyst")
        check_program(principal, program)
        dimensions = tuple(dict.fromkeys(d for d in by.split(",") if d in DIMENSIONS))
        model, opening = reading_of(request, "services", min_position)
        with opening as reading:
            cells = model.report(reading, program, start, end, dimensions)  # type: ignore[attr-defined]
        rows = [{**c.dimensions, "services": c.services, "quantity": c.quantity} for c in cells]
        items, following = page(rows, limit, cursor)
        return answer(
            request,
            {
                "program": program,
                "by": list(dimensions),
                "rows": items,
                "next_cursor": following,
                "position": reading.position,
            },
            rows,
        )


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
    if principal.has(*READERS):
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
) -> Response:
    try:
        period = model.period(reading, facility_id, start, end)
    except LookupError as error:
        raise ProblemError(404, "not_found", str(error)) from None
    days = [_day_row(day, principal) for day in period.days]
    return answer(
        request,
        {
            "facility_id": str(facility_id),
            "from": start,
            "to": end,
            "bed_nights": period.bed_nights,
            "capacity_nights": period.capacity_nights,
            "utilisation": period.utilisation,
            "days": days,
            "position": reading.position,
        },
        [{k: v for k, v in d.items() if k != "beds"} for d in days],
    )
