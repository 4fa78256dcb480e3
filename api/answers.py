"""What the read models answer (caseloads, occupancy, reports), as typed models with examples.

The routes build their answers as plain JSON (api/model_reads.py `answer`, which also writes
CSV); these models document them in /openapi.json, and tests/api/test_answers.py checks real
answers against them. Each allows fields it does not list yet, so a field added to an answer
is documented by adding it here, and never refused before.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

# Ids of the examples: one person, in one program, in one episode, in one bed.
PROGRAM = "4f0a2c1e-8b7d-5e3f-9a6c-2d1b0e9f8a7c"
PARTICIPANT = "9c15ada3-7434-41bb-a6bb-b8b800a6d10e"
EPISODE = "c9ec4844-c7de-4cc3-af6f-41df8d95d08a"
FACILITY = "fed7bcd6-4f49-4526-9730-e554e1daacad"
PLACEMENT = "08e4951b-3215-42a4-bd9c-d84ab7044ce6"
EVENT = "64c1e21d-51c2-5d33-ad6f-93aed1591607"
Moment = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


def documented(*examples: dict[str, Any]) -> ConfigDict:
    """An answer's model: open to fields added later, with its examples."""
    return ConfigDict(
        extra="allow", populate_by_name=True, json_schema_extra={"examples": [*examples]}
    )


class ReadAnswer(BaseModel):
    """An answer, open to fields added later."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


# Caseloads


class CaseloadEpisode(ReadAnswer):
    """An open episode of the caseload."""

    episode_id: UUID
    program_id: UUID
    participant_id: UUID
    opened_on: date
    last_contact: date | None = None


class OverdueItem(ReadAnswer):
    """Something due by a day that has passed: a review, a course to start, an assessment."""

    kind: str
    episode_id: UUID
    item_id: UUID | None = None
    due: date


CASELOAD_EXAMPLE = {
    "caseworker": "caseworker-1",
    "as_of": "2025-11-02",
    "episodes": [
        {
            "episode_id": EPISODE,
            "program_id": PROGRAM,
            "participant_id": PARTICIPANT,
            "opened_on": "2025-03-07",
            "last_contact": "2025-10-26",
        }
    ],
    "next_cursor": None,
    "overdue": [
        {"kind": "course_start", "episode_id": EPISODE, "item_id": None, "due": "2025-10-30"}
    ],
    "position": 462,
}


class CaseloadAnswer(ReadAnswer):
    """A caseworker's open episodes (a page of them) and what of them is overdue."""

    model_config = documented(CASELOAD_EXAMPLE)

    caseworker: str
    as_of: date = Field(description="The day the caseload is effective on")
    known_at: str | None = Field(
        None, description="The recorded moment it is answered as known at (none: now)"
    )
    episodes: list[CaseloadEpisode]
    next_cursor: str | None
    overdue: list[OverdueItem]
    position: int


# Occupancy


class BedHolder(ReadAnswer):
    """Who holds a bed, from which placement, since when (shown to case staff only)."""

    bed: int
    participant_id: UUID
    episode_id: UUID
    placement_id: UUID
    since: date


class FacilityDay(ReadAnswer):
    """A facility on a day: capacity, residents, free beds, and who holds each (case staff)."""

    facility_id: UUID
    name: str
    kind: str
    settlement: str
    day: date
    capacity: int
    residents: int
    free_beds: int
    beds: list[BedHolder] | None = Field(None, description="Left out for analysts")


DAY_EXAMPLE = {
    "facility_id": FACILITY,
    "name": "Hotel Ural",
    "kind": "social_hotel",
    "settlement": "Chelyabinsk",
    "day": "2025-06-15",
    "capacity": 3,
    "residents": 1,
    "free_beds": 2,
    "beds": [
        {
            "bed": 1,
            "participant_id": PARTICIPANT,
            "episode_id": EPISODE,
            "placement_id": PLACEMENT,
            "since": "2025-05-16",
        }
    ],
}


class OccupancyAnswer(ReadAnswer):
    """Every facility on a day."""

    model_config = documented({"on": "2025-06-15", "facilities": [DAY_EXAMPLE], "position": 462})

    on: date
    facilities: list[FacilityDay]
    position: int


class FacilityDayAnswer(FacilityDay):
    """One facility on a day (`on`, or today)."""

    model_config = documented({**DAY_EXAMPLE, "position": 462})

    position: int


class FacilityPeriodAnswer(ReadAnswer):
    """One facility day by day over `from`..`to`, with its bed-nights and utilisation."""

    model_config = documented(
        {
            "facility_id": FACILITY,
            "from": "2025-06-15",
            "to": "2025-06-16",
            "bed_nights": 2,
            "capacity_nights": 6,
            "utilisation": 0.3333,
            "days": [DAY_EXAMPLE, {**DAY_EXAMPLE, "day": "2025-06-16"}],
            "position": 462,
        }
    )

    facility_id: UUID
    start: date = Field(alias="from")
    end: date = Field(alias="to")
    bed_nights: int
    capacity_nights: int
    utilisation: float
    counted_to: date | None = Field(
        None, description="The last day counted: nights after today are not bed-nights yet"
    )
    days: list[FacilityDay]
    position: int


# Reports


class CheckpointBody(ReadAnswer):
    """A signed statement: the chain over the log up to `position` hashes to `hash`."""

    position: int
    hash: str
    signed_at: Moment
    signature: str = Field(description="Ed25519 over the checkpoint's message, base64")


class SealFooter(ReadAnswer):
    """The signed checkpoint that covers the report (the first at or after its position)."""

    covered: bool
    checkpoint: CheckpointBody | None
    note: str


class IndicatorCount(ReadAnswer):
    """An indicator's count against its target, and the events that prove it (case staff)."""

    indicator: str
    count: int
    target: int | None = None
    evidence: dict[str, list[UUID]] | None = Field(
        None,
        description="Who is counted -> ids of the events that count them; not for analysts."
        " Who: a participant id; for `mentors`, a participant id or `staff:<subject>`; for"
        " `new_services`, the program's id",
    )
    cohort: dict[str, list[str]] | None = Field(
        None,
        description="Whom the indicator is counted on (prior_residence, target_groups; empty:"
        " any), if the program defined a cohort for it",
    )
    cohort_size: int | None = Field(
        None, description="How many people served in the period fall in the cohort"
    )


class OutcomesAnswer(ReadAnswer):
    """Indicator counts of a program over a period, against its targets, with the seal."""

    model_config = documented(
        {
            "program": PROGRAM,
            "from": "2025-01-01",
            "to": "2025-12-31",
            "target_group": None,
            "indicators": [
                {
                    "indicator": "served",
                    "count": 1,
                    "target": 120,
                    "evidence": {PARTICIPANT: [EVENT]},
                }
            ],
            "position": 462,
            "seal": {
                "covered": False,
                "checkpoint": None,
                "note": "not yet covered by a signed checkpoint: none at or after position 462 yet",
            },
        }
    )

    program: UUID
    start: date = Field(alias="from")
    end: date = Field(alias="to")
    target_group: str | None
    indicators: list[IndicatorCount]
    position: int
    seal: SealFooter


class ServicesRow(ReadAnswer):
    """Services and quantities of one cell: the dimensions asked for (`by`), then the counts."""

    kind: str | None = None
    settlement: str | None = None
    month: str | None = None
    staff: str | None = None
    services: int
    quantity: int
    people: int | None = Field(
        None, description="Distinct people over the whole period asked, linked records once"
    )


class ServicesAnswer(ReadAnswer):
    """A program's services per the dimensions asked for (a page of rows)."""

    model_config = documented(
        {
            "program": PROGRAM,
            "by": ["kind", "settlement", "month"],
            "rows": [
                {
                    "kind": "home_care",
                    "settlement": "Kopeysk",
                    "month": "2025-03",
                    "services": 4,
                    "quantity": 12,
                }
            ],
            "next_cursor": None,
            "position": 462,
        }
    )

    program: UUID
    by: list[str]
    rows: list[ServicesRow]
    next_cursor: str | None
    position: int


def csv_too(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    """The 200 answer of a read that also answers CSV (`Accept: text/csv`)."""
    return {
        200: {
            "model": model,
            "content": {"text/csv": {"schema": {"type": "string"}, "example": "a,b\r\n1,2\r\n"}},
        }
    }


def restore_examples(schemas: dict[str, Any]) -> None:
    """Put back the answers' examples as written: FastAPI leaves every null out of the document
    (`exclude_none`), examples included, which leaves them without their required nulls."""
    found: list[type[ReadAnswer]] = [ReadAnswer]
    while found:
        model = found.pop()
        found.extend(model.__subclasses__())
        extra = model.model_config.get("json_schema_extra")
        if isinstance(extra, dict) and "examples" in extra and model.__name__ in schemas:
            schemas[model.__name__]["examples"] = extra["examples"]
