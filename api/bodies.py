"""Request bodies of the commands: strict, so unknown fields and impossible values are refused."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from domain.vocabulary import (
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

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
Count = Annotated[int, Field(ge=0, le=100_000_000)]


class Body(BaseModel):
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
    if isinstance(value, str):  # printable text has neither: the usual case, checked fast
        return value.isprintable() or _encodes(value)
    if isinstance(value, dict):
        return all(_storable(k) and _storable(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_storable(item) for item in value)
    return True


def _encodes(text: str) -> bool:
    """UTF-8 without NUL: what PostgreSQL's text columns take."""
    if "\x00" in text:
        return False
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


class Dated(Body):
    occurred_on: date = Field(description="When it happened in the world (at most a day ahead)")


class ProgramBody(Body):
    code: Code
    name: Text
    financing: Financing
    period_start: date
    period_end: date
    targets: dict[Indicator, Count] = Field(default_factory=dict)
    course_start_limit_days: Annotated[int, Field(ge=1, le=365)] = 5


class TargetsBody(Body):
    targets: dict[Indicator, Count]
    reason: Reason


class FacilityBody(Dated):
    kind: FacilityKind
    name: Text
    settlement: Text
    capacity: Annotated[int, Field(ge=0, le=10_000)]


class CapacityBody(Dated):
    capacity: Annotated[int, Field(ge=0, le=10_000)]
    reason: Reason


class PersonalDataBody(Body):
    full_name: Text
    birth_date: date | None = None
    snils: Annotated[str, StringConstraints(pattern=r"^[0-9 -]{11,14}$")] | None = None
    phone: Annotated[str, StringConstraints(max_length=32)] | None = None
    address: Annotated[str, StringConstraints(max_length=300)] | None = None


class ParticipantBody(Body):
    target_groups: Annotated[list[TargetGroup], Field(min_length=1, max_length=8)]
    settlement: Text
    birth_year: Annotated[int, Field(ge=1900, le=2100)]
    prior_residence: Residence
    personal_data: PersonalDataBody | None = None


class CorrectionBody(Dated):
    changes: PersonalDataChanges
    reason: Reason


class PersonalDataChanges(Body):
    full_name: Text | None = None
    birth_date: date | None = None
    snils: Annotated[str, StringConstraints(pattern=r"^[0-9 -]{11,14}$")] | None = None
    phone: Annotated[str, StringConstraints(max_length=32)] | None = None
    address: Annotated[str, StringConstraints(max_length=300)] | None = None


class ConsentBody(Dated):
    scope: Text
    document_ref: Text
    action: Literal["recorded", "withdrawn"] = "recorded"


class InstitutionalBody(Dated):
    event: Literal["application_withdrawn", "admission"]
    institution_kind: InstitutionKind


class EpisodeBody(Dated):
    participant_id: UUID
    program_id: UUID
    caseworker: Text
    referral_source: Text


class CaseworkerBody(Dated):
    caseworker: Text


class AssessmentBody(Dated):
    stage: AssessmentStage
    instrument: Text
    scores: Annotated[dict[str, Annotated[int, Field(ge=-1000, le=1000)]], Field(max_length=50)]


class PlanBody(Dated):
    goals: Annotated[list[Text], Field(min_length=1, max_length=30)]
    review_on: date | None = None


class ReferralBody(Dated):
    specialist: Specialist


class AnswerBody(Dated):
    reason: Reason | None = None


class PlacementBody(Dated):
    facility_id: UUID


class PlacementEndBody(Dated):
    destination: Residence


class CourseBody(Dated):
    title: Text
    hours: Literal[16, 36, 72]
    format: CourseFormat


class JobBody(Dated):
    employment: Employment
    occupation: Text


class JobEndBody(Dated):
    reason: Reason


class ServiceBody(Dated):
    kind: ServiceKind
    quantity: Annotated[int, Field(ge=1, le=10_000)] = 1
    settlement: Text


class MentorBody(Dated):
    mentor_ref: Text


class VoidBody(Body):
    reason: Reason


class CloseBody(Dated):
    reason: ClosureReason
    destination: Residence


CorrectionBody.model_rebuild()
