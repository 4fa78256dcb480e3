"""Request bodies of the commands: strict, so unknown fields and impossible values are refused.

Every rule a body is checked against is one its schema in /openapi.json states: integers are
JSON numbers (never "1" or true), dates are `YYYY-MM-DD`, ids are hyphenated UUIDs, and text
holds no NUL character (the pattern says so) and no lone surrogate (which the JSON parser
refuses, as UTF-8 cannot carry one).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal, Self
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from api.client_text import storable
from domain.vocabulary import (
    MAX_HOURS_PER_WEEK,
    AssessmentStage,
    ClosureReason,
    CourseFormat,
    Employment,
    FacilityKind,
    Financing,
    Indicator,
    InstitutionKind,
    Residence,
    ServiceKind,
    Specialist,
    TargetGroup,
)

# What `str.strip()` removes, spelled out: JSON Schema's `\s` differs from Python's.
BLANK = "".join(f"\\u{ord(c):04x}" for c in map(chr, range(0x3001)) if c.isspace())
# No NUL anywhere, and at least one character that is not blank.
TEXT = rf"^[^\u0000]*[^\u0000{BLANK}][^\u0000]*$"
ANY_TEXT = r"^[^\u0000]*$"
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# RFC 3339, as JSON Schema's `date-time` format: seconds and an offset (or Z) are required.
RFC_3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
CANONICAL_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


def _whole_number(value: Any) -> int:
    """A JSON number without a fraction is an integer (as JSON Schema counts them: 2.0 is 2);
    text ("1") and booleans (true) are not numbers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("a whole number, written as a JSON number")
    return value


def _iso_date(value: Any) -> date:
    """Only `YYYY-MM-DD`: a number of seconds (0 or "0") is not a date."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise ValueError("a date is written YYYY-MM-DD")
    return date.fromisoformat(value)


def _rfc_3339(value: Any) -> datetime:
    """Only a full timestamp with its offset: "0" or a date alone is not a moment."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not RFC_3339.fullmatch(value):
        raise ValueError("a moment is written YYYY-MM-DDTHH:MM:SS with Z or an offset")
    return datetime.fromisoformat(value)


def _canonical_uuid(value: Any) -> UUID:
    """Only the hyphenated form: braces, `urn:uuid:` or 32 bare digits are not the format."""
    if isinstance(value, UUID):
        return value
    if not isinstance(value, str) or not CANONICAL_UUID.fullmatch(value):
        raise ValueError("an id is a hyphenated UUID (8-4-4-4-12 hex digits)")
    return UUID(value)


def _stripped(value: str) -> str:
    return value.strip()


# Limits apply to the text as sent; it is kept without surrounding blanks.
Text = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=TEXT), AfterValidator(_stripped)
]
Reason = Annotated[
    str, StringConstraints(min_length=1, max_length=500, pattern=TEXT), AfterValidator(_stripped)
]
Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
WholeNumber = BeforeValidator(_whole_number)
Count = Annotated[int, Field(ge=0, le=100_000_000), WholeNumber]
Capacity = Annotated[int, Field(ge=0, le=10_000), WholeNumber]
Day = Annotated[date, BeforeValidator(_iso_date)]
Moment = Annotated[datetime, BeforeValidator(_rfc_3339)]
Id = Annotated[UUID, BeforeValidator(_canonical_uuid)]
Snils = Annotated[str, StringConstraints(pattern=r"^[0-9 -]{11,14}$")]
Phone = Annotated[str, StringConstraints(max_length=32, pattern=ANY_TEXT)]
Address = Annotated[str, StringConstraints(max_length=300, pattern=ANY_TEXT)]
ScoreName = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=TEXT)]
Score = Annotated[int, Field(ge=-1000, le=1000), WholeNumber]


def names_by_rule(schema: dict[str, Any]) -> None:
    """Pydantic states a key's pattern under `patternProperties`, which leaves a key that does
    not match it allowed with any value; the server refuses such a key, and so does this."""
    ((pattern, values),) = schema.pop("patternProperties").items()
    schema["propertyNames"] = {**schema.get("propertyNames", {}), "pattern": pattern}
    schema["additionalProperties"] = values


class Body(BaseModel):
    """Strict in what JSON sends: a field not listed is refused, and each type above refuses
    the other JSON types ("1" and true for a number, 0 for a date). Stated per type rather than
    with pydantic's `strict=True`, which in Python mode (a batch's or an import's parsed JSON)
    would refuse the text of every date, id and enum too."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _storable_text(self) -> Self:
        """Refuse text that the log would take but a PostgreSQL read model could not: a NUL
        character, or a lone surrogate (which JSON can carry and UTF-8 cannot). Accepted, such an
        event stopped the read model that met it, at every restart."""
        for name, value in self:
            if not _storable(value):
                raise ValueError(f"{name} holds a NUL character or a lone surrogate")
        return self


def _storable(value: object) -> bool:
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return all(_storable(k) and _storable(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_storable(item) for item in value)
    return True


class Dated(Body):
    """A command about something that happened on a day: today unless the body says otherwise."""

    occurred_on: Day | None = Field(
        None,
        description="When it happened in the world (at most a day ahead); left out: today, by"
        " the server's clock. An Idempotency-Key names the request as sent: sent again without"
        " a date on a later day, it replays the first answer (dated the first day).",
    )


class ProgramBody(Body):
    code: Code
    name: Text
    financing: Financing
    period_start: Day
    period_end: Day
    targets: dict[Indicator, Count] = Field(default_factory=dict)
    course_start_limit_days: Annotated[int, Field(ge=1, le=365), WholeNumber] = 5
    services: list[CatalogueServiceBody] = Field(
        default_factory=list,
        max_length=100,
        description="Services of the program's own, added as it is defined",
    )
    cohorts: list[CohortBody] = Field(
        default_factory=list,
        max_length=len(Indicator),
        description="Cohorts of its indicators, defined as it is defined",
    )


class TargetsBody(Body):
    targets: dict[Indicator, Count]
    reason: Reason


class FacilityBody(Dated):
    kind: FacilityKind
    name: Text
    settlement: Text
    capacity: Capacity
    programs: list[Id] = Field(
        default_factory=list,
        max_length=100,
        description="The programs whose participants it takes (ids); none: shared by all",
    )


class CapacityBody(Dated):
    capacity: Capacity
    reason: Reason


class PersonalDataBody(Body):
    full_name: Text
    birth_date: Day | None = None
    snils: Snils | None = None
    phone: Phone | None = None
    address: Address | None = None


class ParticipantBody(Body):
    target_groups: Annotated[list[TargetGroup], Field(min_length=1, max_length=8)]
    settlement: Text
    birth_year: Annotated[int, Field(ge=1900, le=2100), WholeNumber]
    prior_residence: Residence
    personal_data: PersonalDataBody | None = None


class CorrectionBody(Dated):
    changes: PersonalDataChanges
    reason: Reason


class PersonalDataChanges(Body):
    full_name: Text | None = None
    birth_date: Day | None = None
    snils: Snils | None = None
    phone: Phone | None = None
    address: Address | None = None


class ConsentBody(Dated):
    scope: Text
    document_ref: Text
    action: Literal["recorded", "withdrawn"] = "recorded"


class InstitutionalBody(Dated):
    event: Literal["application_withdrawn", "admission"]
    institution_kind: InstitutionKind


class EpisodeBody(Dated):
    participant_id: Id
    program_id: Id
    caseworker: Text
    referral_source: Text


class CaseworkerBody(Dated):
    caseworker: Text


class AssessmentBody(Dated):
    stage: AssessmentStage
    instrument: Text
    scores: Annotated[dict[ScoreName, Score], Field(max_length=50, json_schema_extra=names_by_rule)]


class PlanBody(Dated):
    goals: Annotated[list[Text], Field(min_length=1, max_length=30)]
    review_on: Day | None = None


class ReferralBody(Dated):
    specialist: Specialist


class AnswerBody(Dated):
    reason: Reason | None = None


class PlacementBody(Dated):
    facility_id: Id


class PlacementEndBody(Dated):
    destination: Residence


class CourseBody(Dated):
    title: Text
    hours: Literal[16, 36, 72]
    format: CourseFormat


class JobBody(Dated):
    employment: Employment
    occupation: Text
    hours_per_week: Annotated[int, Field(ge=1, le=MAX_HOURS_PER_WEEK), WholeNumber] | None = Field(
        None,
        description="Hours a week agreed with the employer (part-time or full-time);"
        " left out or null: not known",
    )


class JobEndBody(Dated):
    reason: Reason


# A built-in kind (ServiceKind) or one a program added to its catalogue.
ServiceKindName = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,63}$"),
    Field(
        description="A built-in kind ("
        + ", ".join(ServiceKind)
        + ") or one in the program's catalogue (POST /v1/programs/{program_id}/services)",
        examples=[ServiceKind.HOME_CARE, ServiceKind.CONSULTATION_LAWYER],
    ),
]


class ServiceBody(Dated):
    kind: ServiceKindName
    quantity: Annotated[int, Field(ge=1, le=10_000), WholeNumber] = 1
    settlement: Text


class MentorBody(Dated):
    """Exactly one of the two: a participant who mentors, or a member of staff by subject."""

    mentor_participant_id: Id | None = Field(
        None, description="A participant who mentors (one the caller may see, not erased)"
    )
    mentor_staff: Text | None = Field(None, description="A member of staff, by their subject")


class CatalogueServiceBody(Body):
    """A service the program offers beside the built-in kinds."""

    kind: ServiceKindName
    name: Text
    unit: Text = Field(description="What one delivery counts: a visit, a trip, an hour")
    indicator: Indicator | None = Field(
        None, description="The indicator its deliveries feed besides services_delivered"
    )
    occurred_on: Day | None = Field(None, description="When the program added it (default today)")


class CohortBody(Body):
    """Who an indicator is counted on: participants of these prior residences and target groups
    (a list left empty: any); replaces the indicator's cohort defined before."""

    indicator: Indicator
    prior_residence: list[Residence] = Field(default_factory=list, max_length=len(Residence))
    target_groups: list[TargetGroup] = Field(default_factory=list, max_length=len(TargetGroup))
    reason: Reason


class VoidBody(Body):
    reason: Reason


class LinkBody(Body):
    other_id: Id = Field(description="The other record of the same person")
    reason: Reason


class CloseBody(Dated):
    reason: ClosureReason
    destination: Residence


CorrectionBody.model_rebuild()
ProgramBody.model_rebuild()
