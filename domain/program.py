"""A funded program: code, financing, period, targets per indicator, course start limit, the
services it offers beyond the built-in kinds, the cohorts some indicators are counted on, and
the outcomes it pays for (each definition versioned: a claim names the version it used)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.base import (
    Actor,
    DomainError,
    InvalidValueError,
    LedgerAggregate,
    check_occurred_on,
    non_empty,
    one_of,
    stable_topics,
    stamp,
)
from domain.catalogue import SERVICE_KIND, is_built_in
from domain.outcome_rules import InvalidDefinitionError, definition_of
from domain.vocabulary import Employment, Financing, Indicator, Residence, TargetGroup

PROGRAM_NAMESPACE = uuid5(NAMESPACE_URL, "urn:ledger:program")
OUTCOME_KEY = re.compile(r"[a-z][a-z0-9_]{1,63}")
# The vocabulary a definition's cohort and "where" values are checked against.
VOCABULARIES: dict[str, type[Any]] = {
    "prior_residence": Residence,
    "target_groups": TargetGroup,
    "employment": Employment,
    "destination": Residence,
}
DEFAULT_COURSE_START_LIMIT_DAYS = 5


class ProgramCodeTakenError(InvalidValueError):
    """Another program already uses this code."""

    rule = "program_code_unique"


class OutcomeDefinitionError(InvalidValueError):
    """The outcome definition cannot be evaluated; the detail says what to fix."""

    rule = "outcome_definition_invalid"


class ServiceInCatalogueError(DomainError):
    """The program already offers a service of this kind, in its catalogue or built in."""

    rule = "service_in_catalogue"


def program_id_for(code: str) -> UUID:
    """Program ids derive from the code, so a second program with the same code cannot be saved."""
    return uuid5(PROGRAM_NAMESPACE, code.strip().lower())


def _checked_targets(targets: dict[str, int]) -> dict[str, int]:
    checked = {}
    for name, value in targets.items():
        if name not in Indicator.__members__.values():
            raise InvalidValueError(f"unknown indicator {name!r}")
        if value < 0:
            raise InvalidValueError(f"target for {name} is negative")
        checked[str(name)] = value
    return checked


@stable_topics("Program")
class Program(LedgerAggregate):
    """A program that episodes belong to and outcomes are counted against."""

    def __init__(
        self,
        code: str,
        name: str,
        financing: str,
        period_start: date,
        period_end: date,
        targets: dict[str, int],
        course_start_limit_days: int,
    ) -> None:
        self.code = code
        self.name = name
        self.financing = financing
        self.period_start = period_start
        self.period_end = period_end
        self.targets = targets
        self.course_start_limit_days = course_start_limit_days
        # kind -> the service the program added to the built-in ones (name, unit, indicator)
        self.catalogue: dict[str, dict[str, str | None]] = {}
        # indicator -> who it is counted on: {"prior_residence": [...], "target_groups": [...]}
        self.cohorts: dict[str, dict[str, list[str]]] = {}
        # outcome key -> each version of its definition, the first first
        self.outcome_definitions: dict[str, list[dict[str, Any]]] = {}

    class Defined(LedgerAggregate.Created):
        code: str
        name: str
        financing: str
        period_start: date
        period_end: date
        targets: dict[str, int]
        course_start_limit_days: int

    class TargetsRevised(LedgerAggregate.Event):
        targets: dict[str, int]
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.targets = {**aggregate.targets, **self.targets}

    class ServiceAdded(LedgerAggregate.Event):
        """The program offers a service of its own: `occurred_on` is the day it was added."""

        kind: str
        name: str
        unit: str
        # The indicator its deliveries feed (None: none beyond services_delivered).
        indicator: str | None

        def apply(self, aggregate: Any) -> None:
            aggregate.catalogue[self.kind] = {
                "name": self.name,
                "unit": self.unit,
                "indicator": self.indicator,
            }

    class CohortDefined(LedgerAggregate.Event):
        """An indicator is counted only on the participants matching these (empty: any)."""

        indicator: str
        prior_residence: list[str]
        target_groups: list[str]
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.cohorts[self.indicator] = {
                "prior_residence": self.prior_residence,
                "target_groups": self.target_groups,
            }

    class OutcomeDefined(LedgerAggregate.Event):
        """An outcome defined, or defined anew as the next `version` of its `key`."""

        key: str
        version: int
        definition: dict[str, Any]
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.outcome_definitions.setdefault(self.key, []).append(self.definition)

    @classmethod
    def define(
        cls,
        *,
        code: str,
        name: str,
        financing: Financing,
        period_start: date,
        period_end: date,
        targets: dict[str, int],
        course_start_limit_days: int,
        by: Actor,
        today: date,
    ) -> Program:
        if not code.strip() or not name.strip():
            raise InvalidValueError("a program needs a code and a name")
        if period_end < period_start:
            raise InvalidValueError("period_end is before period_start")
        if course_start_limit_days < 1:
            raise InvalidValueError("course_start_limit_days must be at least 1")
        return cls._create(
            cls.Defined,
            id=program_id_for(code),
            code=code.strip(),
            name=name.strip(),
            financing=one_of(Financing, financing),
            period_start=period_start,
            period_end=period_end,
            targets=_checked_targets(targets),
            course_start_limit_days=course_start_limit_days,
            **stamp(by, today),
        )

    def revise_targets(self, targets: dict[str, int], reason: str, by: Actor, today: date) -> None:
        if not reason.strip():
            raise InvalidValueError("revising targets needs a reason")
        self.trigger_event(
            self.TargetsRevised,
            targets=_checked_targets(targets),
            reason=reason,
            **stamp(by, today),
        )

    def add_service(
        self,
        kind: str,
        name: str,
        unit: str,
        indicator: Indicator | None,
        occurred_on: date,
        by: Actor,
        today: date,
    ) -> None:
        """Add a service to what the program offers, beside the built-in kinds."""
        check_occurred_on(occurred_on, today)
        if not SERVICE_KIND.fullmatch(kind):
            raise InvalidValueError(
                f"service kind {kind!r} is 2 to 64 of a-z, 0-9 and _, starting with a letter"
            )
        if is_built_in(kind):
            raise ServiceInCatalogueError(f"{kind!r} is a built-in service kind")
        if kind in self.catalogue:
            raise ServiceInCatalogueError(f"program {self.code} already offers {kind!r}")
        self.trigger_event(
            self.ServiceAdded,
            kind=kind,
            name=non_empty(name, "name"),
            unit=non_empty(unit, "unit"),
            indicator=None if indicator is None else one_of(Indicator, indicator),
            **stamp(by, occurred_on),
        )

    def define_cohort(
        self,
        indicator: Indicator,
        prior_residence: list[Residence],
        target_groups: list[TargetGroup],
        reason: str,
        by: Actor,
        today: date,
    ) -> None:
        """Count `indicator` only on participants of these prior residences and target groups
        (either list empty: any); defining it again replaces the cohort."""
        self.trigger_event(
            self.CohortDefined,
            indicator=one_of(Indicator, indicator),
            prior_residence=sorted({one_of(Residence, r) for r in prior_residence}),
            target_groups=sorted({one_of(TargetGroup, g) for g in target_groups}),
            reason=non_empty(reason, "reason"),
            **stamp(by, today),
        )

    def define_outcome(
        self, key: str, definition: dict[str, Any], reason: str, by: Actor, today: date
    ) -> None:
        """Define an outcome the program reports and may pay for, or its next version."""
        if not OUTCOME_KEY.fullmatch(key):
            raise OutcomeDefinitionError(
                f"outcome key {key!r} is 2 to 64 of a-z, 0-9 and _, starting with a letter"
            )
        self.trigger_event(
            self.OutcomeDefined,
            key=key,
            version=len(self.outcome_definitions.get(key, [])) + 1,
            definition=_checked_definition(key, definition),
            reason=non_empty(reason, "reason"),
            **stamp(by, today),
        )


def _checked_definition(key: str, definition: dict[str, Any]) -> dict[str, Any]:
    """The definition as recorded (plain JSON: dates as text), or OutcomeDefinitionError."""
    plain: dict[str, Any] = {n: v for n, v in definition.items() if v is not None}
    if isinstance(plain.get("window"), dict):
        plain["window"] = {
            end: day.isoformat() if isinstance(day, date) else day
            for end, day in plain["window"].items()
            if day is not None
        }
    try:
        definition_of(key, plain)
    except InvalidDefinitionError as error:
        raise OutcomeDefinitionError(f"outcome {key}: {error}") from None
    where = dict(plain["condition"].get("where") or {})
    for name, values in [*dict(plain.get("cohort") or {}).items(), *where.items()]:
        known = {str(term) for term in VOCABULARIES[name]} if name in VOCABULARIES else None
        if known is not None and set(values) - known:
            raise OutcomeDefinitionError(
                f"outcome {key}: {name} takes {sorted(known)}, not {sorted(set(values) - known)}"
            )
    return plain
