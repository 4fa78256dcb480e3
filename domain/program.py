"""A funded program: its code, financing, period, targets per indicator and course start limit."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.base import Actor, InvalidValueError, LedgerAggregate, one_of, stable_topics, stamp
from domain.vocabulary import Financing, Indicator

PROGRAM_NAMESPACE = uuid5(NAMESPACE_URL, "urn:ledger:program")
DEFAULT_COURSE_START_LIMIT_DAYS = 5


class ProgramCodeTakenError(InvalidValueError):
    """Another program already uses this code."""

    rule = "program_code_unique"


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
