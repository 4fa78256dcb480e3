"""A program's outcome definitions, every version, as recorded or as known at a moment."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from api import policy
from api.answers import ReadAnswer, documented
from api.auth import Principal
from api.deps import authenticate, components
from api.problems import PROBLEMS
from api.read_params import KnownAt, ProgramPath, program_id_of
from domain.program import Program

_NO_RETURN = {
    "key": "no_return",
    "version": 1,
    "current": True,
    "name": "No return to an institution for 12 months after moving out",
    "condition": {
        "kind": "sustained",
        "start": "placement_started",
        "without": "institutional_admission",
        "months": 12,
    },
    "cohort": {"prior_residence": ["inpatient_institution"]},
    "window": {"start": "2021-01-01", "end": "2022-06-30"},
    "price": 150000,
    "cap": 16,
}


class OutcomeDefinition(ReadAnswer):
    """One version of an outcome's definition (see `define_outcome` for what each part means)."""

    key: str
    version: int
    current: bool = Field(description="The latest version of this key")
    name: str
    condition: dict[str, Any]
    cohort: dict[str, list[str]] | None = None
    window: dict[str, str] | None = None
    price: int
    cap: int | None = None


class OutcomeDefinitions(ReadAnswer):
    """Every version of the program's outcome definitions, by key and version."""

    program_id: str
    definitions: list[OutcomeDefinition]
    position: int = Field(description="The log's position when it was read")

    model_config = documented(
        {
            "program_id": "215169e2-43f3-50c4-a5ee-ae5129360613",
            "definitions": [_NO_RETURN],
            "position": 42,
        }
    )


def router() -> APIRouter:
    outcomes = APIRouter(tags=["outcomes"], responses=PROBLEMS)

    @outcomes.get(
        "/v1/programs/{program_id}/outcome-definitions",
        operation_id="outcome_definitions",
        response_model=OutcomeDefinitions,
    )
    def definitions(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        program_id: ProgramPath,
        known_at: KnownAt = None,
    ) -> OutcomeDefinitions:
        """The program's outcome definitions (by id or code), every version, as recorded or
        as known at `known_at`."""
        pid = program_id_of(program_id)
        policy.check_program(principal, pid)
        ledger = components(request).ledger
        program: Program = ledger.load_as_known(Program, pid, known_at)
        return OutcomeDefinitions(
            program_id=str(program.id),
            definitions=[
                OutcomeDefinition(
                    key=key,
                    version=number,
                    current=number == len(versions),
                    price=definition.get("price", 0),
                    **{k: v for k, v in definition.items() if k != "price"},
                )
                for key, versions in sorted(program.outcome_definitions.items())
                for number, definition in enumerate(versions, start=1)
            ],
            position=ledger.recorder.max_notification_id() or 0,
        )

    return outcomes
