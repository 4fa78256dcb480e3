"""Programs: those the caller may read, found by code, and one program as known at a moment."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field

from api import policy
from api.answers import ReadAnswer, documented
from api.auth import Principal
from api.deps import authenticate, components
from api.model_reads import MinPosition, reading_of
from api.problems import PROBLEMS
from api.read_params import PROGRAM_CODE, KnownAt, ProgramPath, program_id_of
from domain.program import Program

_STEP = "215169e2-43f3-50c4-a5ee-ae5129360613"  # program_id_for("STEP")
_STEP_SUMMARY = {
    "id": _STEP,
    "code": "STEP",
    "name": "Step by step",
    "financing": "grant",
    "period_start": "2024-01-01",
    "period_end": "2024-12-31",
    "course_start_limit_days": 5,
}


class ProgramSummary(ReadAnswer):
    """A program as listed: what identifies it, its financing, period and course start limit."""

    id: UUID
    code: str
    name: str
    financing: str
    period_start: date
    period_end: date
    course_start_limit_days: int


class ProgramList(ReadAnswer):
    """The programs the caller may read (admins: all), by code."""

    programs: list[ProgramSummary]
    position: int = Field(description="The log position the list reflects")

    model_config = documented({"programs": [_STEP_SUMMARY], "position": 42})


class CatalogueService(ReadAnswer):
    """A service the program offers beside the built-in kinds."""

    name: str
    unit: str
    indicator: str | None = Field(description="The indicator its deliveries feed, if any")


class Cohort(ReadAnswer):
    """Who an indicator is counted on (an empty list: anyone)."""

    prior_residence: list[str]
    target_groups: list[str]


class ProgramDetail(ProgramSummary):
    """A program as recorded (or as known at `known_at`): targets, catalogue and cohorts."""

    targets: dict[str, int]
    catalogue: dict[str, CatalogueService] = Field(description="Its own services, by kind")
    cohorts: dict[str, Cohort] = Field(description="Indicators counted on a cohort, by indicator")
    version: int
    position: int = Field(description="The log's position when it was read")

    model_config = documented(
        {
            **_STEP_SUMMARY,
            "targets": {"served": 200, "housed": 50, "skill_events": 50},
            "catalogue": {
                "skill_workshop": {
                    "name": "Skill workshop",
                    "unit": "session",
                    "indicator": "skill_events",
                }
            },
            "cohorts": {
                "no_return_to_institution": {
                    "prior_residence": ["inpatient_institution"],
                    "target_groups": [],
                }
            },
            "version": 3,
            "position": 42,
        }
    )


def router() -> APIRouter:
    programs = APIRouter(tags=["records"], responses=PROBLEMS)

    @programs.get("/v1/programs", operation_id="list_programs", response_model=ProgramList)
    def list_programs(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        code: Annotated[
            str | None,
            Query(
                pattern=f"^{PROGRAM_CODE}$", description="Only the program of this code (any case)"
            ),
        ] = None,
        min_position: MinPosition = None,
    ) -> ProgramList:
        """The programs you may read (admins: every one), by code; `code` finds one."""
        model, opening = reading_of(request, "directory", min_position)
        with opening as reading:
            found = model.programs(  # type: ignore[attr-defined]
                reading, code=code, only=policy.programs_shown(principal)
            )
        return ProgramList(
            programs=[
                ProgramSummary(
                    id=UUID(p.program_id),
                    code=p.code,
                    name=p.name,
                    financing=p.financing,
                    period_start=p.period_start,
                    period_end=p.period_end,
                    course_start_limit_days=p.course_start_limit_days,
                )
                for p in found
            ],
            position=reading.position,
        )

    @programs.get(
        "/v1/programs/{program_id}", operation_id="get_program", response_model=ProgramDetail
    )
    def get_program(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        program_id: ProgramPath,
        known_at: KnownAt = None,
    ) -> ProgramDetail:
        """A program (by id or code) as recorded, or as known at `known_at`: its targets, the
        services it added and the cohorts its indicators are counted on."""
        pid = program_id_of(program_id)
        policy.check_program(principal, pid)
        ledger = components(request).ledger
        program: Program = ledger.load_as_known(Program, pid, known_at)
        return ProgramDetail(
            id=program.id,
            code=program.code,
            name=program.name,
            financing=program.financing,
            period_start=program.period_start,
            period_end=program.period_end,
            course_start_limit_days=program.course_start_limit_days,
            targets=program.targets,
            catalogue={
                kind: CatalogueService.model_validate(service)
                for kind, service in program.catalogue.items()
            },
            cohorts={
                indicator: Cohort.model_validate(cohort)
                for indicator, cohort in program.cohorts.items()
            },
            version=program.version,
            position=ledger.recorder.max_notification_id() or 0,
        )

    return programs
