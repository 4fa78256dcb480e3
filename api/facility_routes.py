"""Facilities: those serving the caller's programs, by program, settlement and kind, with the
beds free today."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field, JsonValue

from api import policy
from api.answers import ReadAnswer, documented
from api.auth import Principal
from api.deps import authenticate, components
from api.model_reads import MinPosition, reading_of
from api.problems import PROBLEMS, ProblemError
from api.read_params import ProgramRefOrAll, known_program, program_id_of
from domain.vocabulary import FacilityKind
from projections.read_your_writes import wait_for

_HOTEL: dict[str, JsonValue] = {
    "id": "9e8d7c6b-5a49-4837-9261-5e4f3a2b1c0d",
    "name": "Social hotel",
    "kind": "social_hotel",
    "settlement": "Kopeysk",
    "programs": ["215169e2-43f3-50c4-a5ee-ae5129360613"],
    "on": "2024-03-01",
    "capacity": 12,
    "residents": 9,
    "free_beds": 3,
}


class FacilityEntry(ReadAnswer):
    """A facility, the programs it serves (none: every program), and its beds on `on`."""

    id: UUID
    name: str
    kind: str
    settlement: str
    programs: list[UUID] = Field(description="The programs it serves; empty: shared by all")
    on: date = Field(description="Today, by the ledger's clock: the day the beds are counted")
    capacity: int
    residents: int
    free_beds: int


class FacilityList(ReadAnswer):
    """The facilities the caller may use, with today's free beds."""

    facilities: list[FacilityEntry]
    position: int = Field(description="The log position the list reflects")

    model_config = documented({"facilities": [_HOTEL], "position": 42})


class FacilityAnswer(FacilityEntry):
    """One facility, with today's free beds."""

    position: int = Field(description="The log position the answer reflects")

    model_config = documented({**_HOTEL, "position": 42})


def router() -> APIRouter:
    facilities = APIRouter(tags=["read models"], responses=PROBLEMS)

    @facilities.get("/v1/facilities", operation_id="list_facilities", response_model=FacilityList)
    def list_facilities(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        program: ProgramRefOrAll = None,
        settlement: Annotated[str | None, Query(max_length=200)] = None,
        kind: FacilityKind | None = None,
        min_position: MinPosition = None,
    ) -> FacilityList:
        """Facilities serving your programs or all programs (`program`: one of them), by
        settlement and kind, with the beds free today."""
        program_id = None if program is None else program_id_of(program)
        policy.check_facilities(principal, program_id)
        if program is not None:
            known_program(components(request).ledger, program)
        found, position = _facilities(
            request, principal, min_position, program=program_id, settlement=settlement, kind=kind
        )
        return FacilityList(facilities=found, position=position)

    @facilities.get(
        "/v1/facilities/{facility_id}", operation_id="get_facility", response_model=FacilityAnswer
    )
    def get_facility(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        facility_id: UUID,
        min_position: MinPosition = None,
    ) -> FacilityAnswer:
        """A facility: kind, settlement, the programs it serves, and the beds free today."""
        policy.check_facilities(principal)
        found, position = _facilities(request, principal, min_position, facility_id=facility_id)
        if not found:
            raise ProblemError(404, "not_found", f"No facility {facility_id}")
        return FacilityAnswer(**found[0].model_dump(), position=position)

    return facilities


def _facilities(
    request: Request, principal: Principal, min_position: int | None, **which: Any
) -> tuple[list[FacilityEntry], int]:
    """The facilities asked for, with their beds today, and the position the answer reflects.

    They come from the directory; the occupancy model is then read once it has seen at least
    as much of the log, so that every facility listed has its beds counted."""
    state = components(request)
    model, opening = reading_of(request, "directory", min_position)
    with opening as reading:
        entries = model.facilities(reading, **which)  # type: ignore[attr-defined]
        position = reading.position
    one = which.get("facility_id")
    if one is not None and entries:
        policy.check_facility(principal, entries[0].programs)
    entries = [e for e in entries if policy.shows_facility(principal, e.programs)]
    occupancy = state.models["occupancy"]
    wait_for(occupancy, position, timeout=state.settings.read_wait_seconds)
    today = state.ledger.clock()
    with occupancy.reading() as beds:
        days = {d.facility_id: d for d in occupancy.on(beds, today, one)}
    return [
        FacilityEntry(
            id=UUID(e.facility_id),
            name=e.name,
            kind=e.kind,
            settlement=e.settlement,
            programs=[UUID(p) for p in e.programs],
            on=today,
            capacity=days[e.facility_id].capacity,
            residents=days[e.facility_id].residents,
            free_beds=days[e.facility_id].free_beds,
        )
        for e in entries
    ], position
