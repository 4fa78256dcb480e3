"""A program exported in the INDIGO data standard (api/indigo_export.py): counts and amounts
only, for whoever reads the program's outcome counts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from pydantic import Field

from api import policy
from api.answers import ReadAnswer, documented
from api.auth import Principal
from api.bodies import Day
from api.deps import authenticate, components
from api.indigo_export import INDIGO_SCHEMA, INDIGO_VERSION, indigo_export
from api.model_reads import MinPosition, answer, reading_of
from api.problems import PROBLEMS
from api.read_params import KnownAt, ProgramPath, program_as_known, program_id_of
from api.report_routes import in_utc

_PROJECT = {
    "name": {"value": "Accompanied accommodation"},
    "alternative_names": {"value": "STEP"},
    "outcome_metrics": [
        {
            "id": "no_return",
            "definition": {"value": "No return to an institution for 12 months"},
            "targeted_number_of_service_users_or_beneficiaries_total": {"value": 16},
            "notes": "Definition version 1 of outcome no_return",
        }
    ],
    "outcome_pricings": [
        {
            "outcome_metric_id": {"value": "no_return"},
            "price_per_unit": {"amount": {"value": 150000}},
            "maximum_price_if_all_targets_achieved": {"amount": {"value": "2400000"}},
        }
    ],
    "results": [
        {
            "outcome_metric_id": {"value": "no_return"},
            "number_engaged_in_impact_bond": {"value": 16},
            "number_with_positive_social_outcomes": {"value": 15},
        }
    ],
    "outcome_payments": [
        {
            "outcome_metric_id": {"value": "no_return"},
            "type": {"value": "Actual"},
            "money": {"amount": {"value": 2250000}},
        }
    ],
}


class IndigoExport(ReadAnswer):
    """The program as an INDIGO project (`project`: the standard's project fields the ledger
    knows, each value as `{"value": ...}`), on `as_of`, as known at `known_at`."""

    model_config = documented(
        {
            "indigo_version": INDIGO_VERSION,
            "schema": INDIGO_SCHEMA,
            "program_id": "215169e2-43f3-50c4-a5ee-ae5129360613",
            "program_code": "STEP",
            "as_of": "2022-07-01",
            "known_at": None,
            "position": 42,
            "project": _PROJECT,
        }
    )

    indigo_version: str = Field(description="The INDIGO data standard's version followed")
    schema_: str = Field(alias="schema", description="The standard's project schema")
    program_id: UUID
    program_code: str
    as_of: date = Field(description="The day the results are counted on")
    known_at: datetime | None = Field(description="As the ledger knew it then (none: now)")
    position: int = Field(description="The outcome read model's position when it was read")
    project: dict[str, Any] = Field(description="The INDIGO project's fields")


def router() -> APIRouter:
    indigo = APIRouter(tags=["outcomes"], responses=PROBLEMS)

    @indigo.get(
        "/v1/programs/{program_id}/indigo",
        operation_id="indigo_export",
        response_model=IndigoExport,
    )
    def export(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        program_id: ProgramPath,
        as_of: Day | None = None,
        known_at: KnownAt = None,
        min_position: MinPosition = None,
    ) -> Response:
        """The program (by id or code) in the INDIGO data standard: its outcome metrics, targets
        and prices, results on `as_of` (today if left out) and the payments of accepted claims,
        as known at `known_at`. Counts and amounts only, nobody named."""
        pid = program_id_of(program_id)
        policy.check_report(principal, pid)
        ledger = components(request).ledger
        moment = in_utc(known_at) if known_at else None
        program = program_as_known(ledger, pid, moment)
        _, opening = reading_of(request, "outcome_facts", min_position)
        with opening as reading:
            body = indigo_export(ledger, reading, program, as_of or ledger.clock(), moment)
        return answer(request, body)

    return indigo
