"""What an outcome definition is sent as: one of three conditions over a person's facts, the
cohort it is about, the window its start must fall in, and its price and cap if it pays (see
domain/outcome_rules.py for what each means)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StringConstraints

from api.bodies import Body, Count, Day, Reason, Text, WholeNumber, names_by_rule
from domain.outcome_rules import MAX_DAYS, MAX_MONTHS
from domain.vocabulary import Residence, TargetGroup

# The facts of domain/outcome_rules.py `FACTS` (tests/api/test_outcome_definitions.py holds
# the two lists to each other).
FactKind = Literal[
    "placement_started",
    "placement_ended",
    "institutional_admission",
    "application_withdrawn",
    "job_started",
    "job_ended",
    "course_enrolled",
    "course_completed",
]
OutcomeKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,63}$")]
DetailName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]{1,31}$")]
Where = Annotated[
    dict[DetailName, Annotated[list[Text], Field(min_length=1, max_length=50)]],
    Field(
        max_length=5,
        description="Only facts whose detail takes one of the listed values, e.g."
        ' {"employment": ["open_market", "supported_workshop"]}',
        json_schema_extra=names_by_rule,
    ),
]
Months = Annotated[int, Field(ge=1, le=MAX_MONTHS), WholeNumber]
Days = Annotated[int, Field(ge=1, le=MAX_DAYS), WholeNumber]
Price = Annotated[int, Field(ge=0, le=10**12), WholeNumber]


class Occurs(Body):
    """Achieved the day the fact happens (in the window)."""

    kind: Literal["occurs"]
    fact: FactKind
    where: Where | None = None


class Sustained(Body):
    """Achieved `months` after the start fact unless a `without` fact comes first (with
    `same_track`, only the end of the same placement, job or course)."""

    kind: Literal["sustained"]
    start: FactKind
    without: FactKind
    months: Months
    same_track: StrictBool = False
    where: Where | None = None


class Within(Body):
    """Achieved when the same track's `fact` follows the start fact within `days`."""

    kind: Literal["within"]
    start: FactKind
    fact: FactKind
    days: Days
    where: Where | None = None


class OutcomeCohort(Body):
    """The people the outcome is measured on (a list left empty: any)."""

    prior_residence: list[Residence] = Field(default_factory=list, max_length=len(Residence))
    target_groups: list[TargetGroup] = Field(default_factory=list, max_length=len(TargetGroup))


class Window(Body):
    """The days the start (or the occurrence) must fall on, either end open."""

    start: Day | None = None
    end: Day | None = None


class OutcomeDefinitionBody(Body):
    """An outcome of the program: defining its key again records the next version."""

    key: OutcomeKey
    name: Text
    condition: Annotated[Occurs | Sustained | Within, Field(discriminator="kind")]
    cohort: OutcomeCohort | None = None
    window: Window | None = None
    price: Price = Field(0, description="Paid per outcome achieved, in the program's currency")
    cap: Count | None = Field(None, description="At most this many are paid")
    reason: Reason


class JudgementBody(Body):
    """An assessor's verdict on one line of a claim; a dispute says why."""

    line: Annotated[int, Field(ge=1, le=1_000_000), WholeNumber]
    verdict: Literal["verified", "disputed"]
    reason: Annotated[str, StringConstraints(max_length=500, pattern=r"^[^\u0000]*$")] = ""


class DecisionBody(Body):
    """An assessor accepts the claim (its verified lines are paid) or rejects it."""

    verdict: Literal["accepted", "rejected"]
    reason: Reason
