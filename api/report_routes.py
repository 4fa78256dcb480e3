"""Reports of a program: outcomes against targets (sealed), and services delivered."""

from __future__ import annotations

from dataclasses import asdict
from datetime import MAXYEAR, UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from api import policy
from api.answers import OutcomesAnswer, ServicesAnswer, csv_too
from api.audit_routes import seal_footer
from api.auth import Principal
from api.bodies import Day
from api.deps import authenticate, components
from api.model_reads import MinPosition, answer, reading_of
from api.problems import PROBLEMS, ProblemError
from api.read_params import Cursor, KnownAt, Limit, ProgramRef, known_program, page, program_id_of
from domain.vocabulary import TargetGroup
from projections.read_your_writes import wait_for
from projections.services import DIMENSIONS


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


def router() -> APIRouter:
    reports = APIRouter(tags=["read models"], responses=PROBLEMS)

    @reports.get(
        "/v1/reports/outcomes",
        operation_id="outcomes_report",
        response_model=OutcomesAnswer,
        responses=csv_too(OutcomesAnswer),
    )
    def outcomes(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        program: ProgramRef,
        start: Annotated[Day, Query(alias="from")],
        end: Annotated[Day, Query(alias="to")],
        target_group: TargetGroup | None = None,
        known_at: KnownAt = None,
        min_position: MinPosition = None,
    ) -> Response:
        """Indicator counts against targets; each counted participant with the proving event ids
        (left out for analysts); an indicator counted on a cohort names it and its size.
        `known_at` answers exactly what the report said at that moment."""
        policy.check_report(principal, program_id_of(program))
        program_id = known_program(components(request).ledger, program)
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
                    reading, program_id, start, end, target_group, known_at
                )
            except LookupError as error:
                raise ProblemError(404, "not_found", str(error)) from None
            position = reading.position
            if known_at:
                position = components(request).seal.position_at(reading.tx, known_at)
        evidence = policy.shows_evidence(principal)
        indicators = [
            {
                "indicator": i.indicator,
                "count": i.count,
                "target": i.target,
                **({"evidence": i.evidence} if evidence else {}),
                "cohort": None if i.cohort is None else asdict(i.cohort),
                "cohort_size": i.cohort_size,
            }
            for i in report.indicators
        ]
        rows = [{k: v for k, v in i.items() if k not in ("evidence", "cohort")} for i in indicators]
        seal = seal_footer(request, position)
        return answer(
            request,
            {
                "program": program_id,
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

    @reports.get(
        "/v1/reports/services",
        operation_id="services_report",
        response_model=ServicesAnswer,
        responses=csv_too(ServicesAnswer),
    )
    def services(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        program: ProgramRef,
        start: Annotated[Day | None, Query(alias="from")] = None,
        end: Annotated[Day | None, Query(alias="to")] = None,
        by: Annotated[
            str, Query(pattern=r"^(kind|settlement|month|staff)(,(kind|settlement|month|staff))*$")
        ] = "kind,settlement,month",
        min_position: MinPosition = None,
        limit: Limit = 500,
        cursor: Cursor = None,
    ) -> Response:
        """Services, quantities and distinct people per kind, settlement, month (and staff) of a
        program; a row's `people` are counted over the whole period asked, linked records once."""
        policy.check_report(principal, program_id_of(program))
        program_id = known_program(components(request).ledger, program)
        dimensions = tuple(dict.fromkeys(d for d in by.split(",") if d in DIMENSIONS))
        model, opening = reading_of(request, "services", min_position)
        with opening as reading:
            cells = model.report(reading, program_id, start, end, dimensions)  # type: ignore[attr-defined]
        rows = [
            {**c.dimensions, "services": c.services, "quantity": c.quantity, "people": c.people}
            for c in cells
        ]
        items, following = page(rows, limit, cursor)
        return answer(
            request,
            {
                "program": program_id,
                "by": list(dimensions),
                "rows": items,
                "next_cursor": following,
                "position": reading.position,
            },
            rows,
        )

    return reports
