"""A program's outcome definitions, every version, as recorded or as known at a moment; and
each outcome's status on a day, in counts and person by person."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import Field

from api import policy
from api.answers import EVENT, PARTICIPANT, ReadAnswer, documented
from api.auth import Principal
from api.bodies import Day
from api.deps import authenticate, components
from api.model_reads import MinPosition, answer, reading_of
from api.problems import PROBLEMS, ProblemError
from api.read_params import (
    Cursor,
    KnownAt,
    Limit,
    ProgramPath,
    page,
    program_as_known,
    program_id_of,
)
from api.report_routes import in_utc
from domain.program import Program
from projections.outcome_status import OutcomeStatus, chosen, statuses

OUTCOME_KEY = r"^[a-z][a-z0-9_]{1,63}$"  # as OutcomeDefinitionBody's `key`
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


_COUNTS = {
    "key": "no_return",
    "version": 1,
    "name": "No return to an institution for 12 months after moving out",
    "cohort_size": 16,
    "pending": 0,
    "achieved": 15,
    "failed": 1,
    "price": 150000,
    "cap": 16,
    "paid": 15,
    "amount": 2250000,
}
_FAILED = {
    "participant_id": PARTICIPANT,
    "state": "failed",
    "on": "2021-11-03",
    "evidence": [EVENT],
    "broken_by": "5b1f0d8e-3c2a-5f47-9e6d-0a8b7c6d5e4f",
}
State = Literal["pending", "achieved", "failed"]


class OutcomeCounts(ReadAnswer):
    """One outcome on `as_of`: its cohort, how many of it are pending, achieved or failed, and
    what is paid for them."""

    key: str
    version: int = Field(description="The version of the definition evaluated")
    name: str
    cohort_size: int = Field(description="The program's people its cohort takes")
    pending: int
    achieved: int
    failed: int
    price: int
    cap: int | None
    paid: int = Field(description="Achieved outcomes paid for: at most `cap`")
    amount: int = Field(description="`paid` times `price`")


class OutcomeStatusAnswer(ReadAnswer):
    """Each outcome of the program (its current definition) on a day, as known at a moment."""

    model_config = documented(
        {
            "program_id": "215169e2-43f3-50c4-a5ee-ae5129360613",
            "as_of": "2022-07-01",
            "known_at": None,
            "outcomes": [_COUNTS],
            "position": 42,
        }
    )

    program_id: UUID
    as_of: date = Field(description="The day the statuses are effective on")
    known_at: datetime | None = Field(description="As the ledger knew it then (none: now)")
    outcomes: list[OutcomeCounts]
    position: int = Field(description="The read model's position when it was read")


class ParticipantOutcome(ReadAnswer):
    """A person's status: pending (a window still running), achieved on `on` with the events
    that prove it (the start first), or failed on `on`, with the event that broke it if any."""

    participant_id: UUID
    state: State
    on: date | None
    evidence: list[str] = Field(description="Entry ids of the events that prove it")
    broken_by: str | None = Field(description="Entry id of the event that broke it")


class OutcomeParticipantsAnswer(OutcomeCounts):
    """One outcome on a day, as known at a moment: its counts, and a page of its people."""

    model_config = documented(
        {
            "program_id": "215169e2-43f3-50c4-a5ee-ae5129360613",
            "as_of": "2022-07-01",
            "known_at": "2022-07-02T09:00:00+00:00",
            **_COUNTS,
            "participants": [_FAILED],
            "next_cursor": None,
            "position": 42,
        }
    )

    program_id: UUID
    as_of: date
    known_at: datetime | None
    participants: list[ParticipantOutcome]
    next_cursor: str | None
    position: int


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

    @outcomes.get(
        "/v1/programs/{program_id}/outcome-status",
        operation_id="outcome_status",
        response_model=OutcomeStatusAnswer,
    )
    def status(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        program_id: ProgramPath,
        as_of: Day | None = None,
        known_at: KnownAt = None,
        min_position: MinPosition = None,
    ) -> Response:
        """Each outcome of the program (by id or code), its current definition as known at
        `known_at`, on `as_of` (today if left out): how many pending, achieved, failed, paid."""
        pid = program_id_of(program_id)
        policy.check_report(principal, pid)
        day, moment, found, position = _evaluated(request, pid, as_of, known_at, min_position)
        return answer(
            request,
            {
                "program_id": pid,
                "as_of": day,
                "known_at": moment,
                "outcomes": [_counts(outcome) for outcome in found],
                "position": position,
            },
        )

    @outcomes.get(
        "/v1/programs/{program_id}/outcome-status/{key}",
        operation_id="outcome_status_participants",
        response_model=OutcomeParticipantsAnswer,
    )
    def participants(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        program_id: ProgramPath,
        key: Annotated[str, Path(pattern=OUTCOME_KEY)],
        as_of: Day | None = None,
        known_at: KnownAt = None,
        version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
        min_position: MinPosition = None,
        limit: Limit = 100,
        cursor: Cursor = None,
    ) -> Response:
        """One outcome of the program person by person, on `as_of` (today if left out), by its
        current definition as known at `known_at` or the `version` asked for: each person of
        its cohort pending, achieved or failed, with the events that prove or broke it."""
        pid = program_id_of(program_id)
        policy.check_outcome_people(principal, pid)
        day, moment, [found], position = _evaluated(
            request, pid, as_of, known_at, min_position, key, version
        )
        rows = [
            {
                "participant_id": person,
                "state": status.state,
                "on": status.on,
                "evidence": list(status.evidence),
                "broken_by": status.broken_by,
            }
            for person, status in found.people.items()
        ]
        items, following = page(rows, limit, cursor)
        return answer(
            request,
            {
                "program_id": pid,
                "as_of": day,
                "known_at": moment,
                **_counts(found),
                "participants": items,
                "next_cursor": following,
                "position": position,
            },
        )

    return outcomes


def _evaluated(
    request: Request,
    program_id: UUID,
    as_of: date | None,
    known_at: datetime | None,
    min_position: int | None,
    key: str | None = None,
    version: int | None = None,
) -> tuple[date, datetime | None, list[OutcomeStatus], int]:
    """The day, the moment, the statuses of the definitions asked for, and the position read."""
    ledger = components(request).ledger
    moment = in_utc(known_at) if known_at else None
    program = program_as_known(ledger, program_id, moment)
    try:
        definitions = chosen(program.outcome_definitions, key, version)
    except LookupError as error:
        raise ProblemError(
            404, "not_found", str(error),
            f"GET /v1/programs/{program_id}/outcome-definitions lists its outcomes and versions",
        ) from None  # fmt: skip
    day = as_of or ledger.clock()
    _, opening = reading_of(request, "outcome_facts", min_position)
    with opening as reading:
        found = statuses(reading, program_id, definitions, day, moment)
    return day, moment, found, reading.position


def _counts(outcome: OutcomeStatus) -> dict[str, Any]:
    definition = outcome.definition
    return {
        "key": outcome.key,
        "version": outcome.version,
        "name": definition.name,
        "cohort_size": len(outcome.people),
        "pending": outcome.count("pending"),
        "achieved": outcome.count("achieved"),
        "failed": outcome.count("failed"),
        "price": definition.price,
        "cap": definition.cap,
        "paid": outcome.paid,
        "amount": outcome.amount,
    }
