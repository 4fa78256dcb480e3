"""Outcome definitions as data, and what they make of one person's facts on a date.

A program says which outcomes pay in a small vocabulary of conditions over the ledger's facts
(a placement started, an institutional admission, a job started or ended, a course enrolled or
completed, an application for inpatient care withdrawn), not in code of its own:

- `occurs`: a fact happens (`fact`, optionally `where` its detail is one of some values), e.g. an
  application withdrawn, or a job started on the open market or in a supported workshop;
- `sustained`: after a `start` fact, no `without` fact for `months`, e.g. no institutional
  admission for 12 months after the placement started; with `same_track`, only the end of the
  same track breaks it (a job held 6 months: the job's own end);
- `within`: after a `start` fact, the same track's `fact` within `days`, e.g. a course completed
  within 30 days of enrolment.

Each definition names its cohort (the prior residences and target groups it is about; empty:
everyone), the window its start or occurrence must fall in (`window`: `start`, `end`), and its
price and cap if it pays. A person's status on a date is pending (a window still running),
achieved (on a date, with the facts that prove it) or failed (with the fact that broke it, or
none where a window closed); people outside the cohort are not counted. The first start fact in
the window is the one measured: a second placement after a return does not make the first one
sustained.

Standard library only: the assessor's verifier evaluates a claim's package with this module
alone, over facts it reads from the package's events (`fact_of`).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

# Each fact kind, the event that records it (by class name), and the detail kept of it.
FACTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "placement_started": ("PlacementStarted", ("placement_id", "facility_id")),
    "placement_ended": ("PlacementEnded", ("placement_id", "destination")),
    "institutional_admission": ("InstitutionalAdmission", ("institution_kind",)),
    "application_withdrawn": ("InstitutionalApplicationWithdrawn", ("institution_kind",)),
    "job_started": ("JobStarted", ("job_id", "employment", "occupation")),
    "job_ended": ("JobEnded", ("job_id",)),
    "course_enrolled": ("CourseEnrolled", ("course_id",)),
    "course_completed": ("CourseCompleted", ("course_id",)),
}
KIND_OF_EVENT = {event: kind for kind, (event, _) in FACTS.items()}
# The detail that names a fact's track: a start and an end of one track share it.
TRACK_KEYS = ("placement_id", "job_id", "course_id")
CONDITIONS = {
    "occurs": {"fact"},
    "sustained": {"start", "without", "months"},
    "within": {"start", "fact", "days"},
}
OPTIONAL = {"where", "same_track"}
# Longest measurement a condition may ask for: beyond it a claim would never close.
MAX_MONTHS, MAX_DAYS = 120, 3660


class InvalidDefinitionError(ValueError):
    """A definition that cannot be evaluated: refused when defined, saying what to fix."""


@dataclass(frozen=True)
class Fact:
    """One fact of a person's record: its kind, effective date, proving event and detail."""

    kind: str
    on: date
    entry_id: str
    detail: Mapping[str, str] = field(default_factory=dict)

    def track(self) -> str | None:
        return next((self.detail[k] for k in TRACK_KEYS if self.detail.get(k)), None)


@dataclass(frozen=True)
class Cohort:
    prior_residence: frozenset[str] = frozenset()
    target_groups: frozenset[str] = frozenset()

    def holds(self, prior_residence: str, target_groups: Iterable[str]) -> bool:
        """Whether a person is in it: any listed residence, any listed group (empty: any)."""
        return (not self.prior_residence or prior_residence in self.prior_residence) and (
            not self.target_groups or bool(self.target_groups & set(target_groups))
        )


@dataclass(frozen=True)
class Definition:
    key: str
    name: str
    condition: Mapping[str, Any]
    cohort: Cohort = Cohort()
    window_from: date | None = None
    window_to: date | None = None
    price: int = 0
    cap: int | None = None


@dataclass(frozen=True)
class Status:
    """`state` is pending, achieved or failed; `on` the day achieved or failed; `evidence` the
    entry ids that prove it (the start first), `broken_by` the one that broke it."""

    state: str
    on: date | None = None
    evidence: tuple[str, ...] = ()
    broken_by: str | None = None


def definition_of(key: str, data: Mapping[str, Any]) -> Definition:
    """A definition from its recorded data, or InvalidDefinitionError naming what is wrong."""
    unknown = set(data) - {"name", "condition", "cohort", "window", "price", "cap"}
    if unknown:
        raise InvalidDefinitionError(f"unknown fields {sorted(unknown)}")
    if not str(data.get("name") or "").strip():
        raise InvalidDefinitionError("a definition needs a name")
    condition = dict(data.get("condition") or {})
    _check_condition(condition)
    cohort = dict(data.get("cohort") or {})
    if set(cohort) - {"prior_residence", "target_groups"}:
        raise InvalidDefinitionError("a cohort names prior_residence and/or target_groups")
    window = dict(data.get("window") or {})
    if set(window) - {"start", "end"}:
        raise InvalidDefinitionError('a window has "start" and/or "end" dates')
    starts, ends = (_date(window.get(end), f"window.{end}") for end in ("start", "end"))
    if starts and ends and ends < starts:
        raise InvalidDefinitionError("the window ends before it starts")
    price, cap = data.get("price", 0), data.get("cap")
    if not isinstance(price, int) or isinstance(price, bool) or not 0 <= price <= 10**12:
        raise InvalidDefinitionError("price is a whole amount from 0 to 10^12")
    if cap is not None and (not isinstance(cap, int) or isinstance(cap, bool) or cap < 0):
        raise InvalidDefinitionError("cap is a whole number of outcomes, 0 or more")
    return Definition(
        key=key,
        name=str(data["name"]),
        condition=condition,
        cohort=Cohort(
            frozenset(_strings(cohort, "prior_residence")),
            frozenset(_strings(cohort, "target_groups")),
        ),
        window_from=starts,
        window_to=ends,
        price=price,
        cap=cap,
    )


def _check_condition(condition: Mapping[str, Any]) -> None:
    kind = condition.get("kind")
    if kind not in CONDITIONS:
        raise InvalidDefinitionError(f"condition kind is one of {sorted(CONDITIONS)}")
    needed = CONDITIONS[kind]
    missing = needed - set(condition)
    extra = set(condition) - needed - OPTIONAL - {"kind"}
    if missing or extra:
        raise InvalidDefinitionError(
            f"a {kind} condition takes {sorted(needed)} (and optionally {sorted(OPTIONAL)});"
            f" missing {sorted(missing)}, unknown {sorted(extra)}"
        )
    for name in ("fact", "start", "without"):
        if name in condition and condition[name] not in FACTS:
            raise InvalidDefinitionError(f"{name} is one of the facts {sorted(FACTS)}")
    for name, most in (("months", MAX_MONTHS), ("days", MAX_DAYS)):
        value = condition.get(name, 1)
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= most:
            raise InvalidDefinitionError(f"{name} is a whole number from 1 to {most}")
    where = condition.get("where", {})
    if not isinstance(where, Mapping) or not all(
        isinstance(v, list) and v and all(isinstance(x, str) for x in v) for v in where.values()
    ):
        raise InvalidDefinitionError('"where" maps a detail to the list of values it may take')
    kept = set(FACTS[condition.get("fact") or condition["start"]][1])
    if set(where) - kept:
        raise InvalidDefinitionError(f'"where" may test {sorted(kept)} of that fact')
    if not isinstance(condition.get("same_track", False), bool):
        raise InvalidDefinitionError("same_track is true or false")


def _strings(data: Mapping[str, Any], name: str) -> list[str]:
    values = data.get(name) or []
    if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
        raise InvalidDefinitionError(f"{name} is a list of names")
    return values


def _date(value: Any, name: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidDefinitionError(f"{name} is a date, YYYY-MM-DD") from None


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day where it has no such day."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def evaluate(definition: Definition, facts: Sequence[Fact], as_of: date) -> Status:
    """The status on `as_of` of one person in the definition's cohort, from their facts (voided
    ones left out by the caller), whatever their order."""
    condition = definition.condition
    ordered = sorted((f for f in facts if f.on <= as_of), key=lambda f: (f.on, f.entry_id))
    first_kind = condition.get("start") or condition["fact"]
    where = condition.get("where", {})
    started = next(
        (
            f
            for f in ordered
            if f.kind == first_kind
            and _in_window(definition, f.on)
            and all(f.detail.get(k) in values for k, values in where.items())
        ),
        None,
    )
    closed = definition.window_to is not None and as_of > definition.window_to
    if started is None:
        return Status("failed" if closed else "pending")
    if condition["kind"] == "occurs":
        return Status("achieved", started.on, (started.entry_id,))
    later = [f for f in ordered if f.on >= started.on and f is not started]
    if condition["kind"] == "sustained":
        until = add_months(started.on, condition["months"])
        breaking = next(
            (
                f
                for f in later
                if f.kind == condition["without"]
                and f.on < until
                and (not condition.get("same_track") or f.track() == started.track())
            ),
            None,
        )
        if breaking is not None:
            return Status("failed", breaking.on, (started.entry_id,), breaking.entry_id)
        if as_of < until:
            return Status("pending", evidence=(started.entry_id,))
        return Status("achieved", until, (started.entry_id,))
    until = date.fromordinal(started.on.toordinal() + condition["days"])
    done = next(
        (
            f
            for f in later
            if f.kind == condition["fact"] and f.on <= until and f.track() == started.track()
        ),
        None,
    )
    if done is not None:
        return Status("achieved", done.on, (started.entry_id, done.entry_id))
    if as_of <= until:
        return Status("pending", evidence=(started.entry_id,))
    return Status("failed", until, (started.entry_id,))


def _in_window(definition: Definition, on: date) -> bool:
    return (definition.window_from is None or on >= definition.window_from) and (
        definition.window_to is None or on <= definition.window_to
    )


def fact_of(
    event_name: str, state: Mapping[str, Any], entry_id: str, on: date | str
) -> Fact | None:
    """The fact an event records, if it is one outcomes are measured on: from a domain event's
    attributes or an exported event's decoded state alike (ids and dates as text or objects)."""
    kind = KIND_OF_EVENT.get(event_name)
    if kind is None:
        return None
    kept = FACTS[kind][1]
    detail = {k: _text(state[k]) for k in kept if state.get(k) is not None}
    return Fact(kind, on if isinstance(on, date) else date.fromisoformat(on), entry_id, detail)


def _text(value: Any) -> str:
    """An id as the 32 hex digits of a UUID however it came (object, dashed or not)."""
    hex_digits = getattr(value, "hex", None)
    if isinstance(hex_digits, str):
        return hex_digits
    text = str(value)
    bare = text.replace("-", "")
    return bare if len(bare) == 32 and all(c in "0123456789abcdef" for c in bare) else text
