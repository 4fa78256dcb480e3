"""What every aggregate and event shares: who recorded it, when it happened, stable topics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from eventsourcing.domain import Aggregate, CanMutateAggregate
from eventsourcing.utils import register_topic

A = TypeVar("A", bound=Aggregate)
E = TypeVar("E", bound=StrEnum)

# Caseworkers in the far east of the country are up to a day ahead of UTC.
DAYS_AHEAD_ALLOWED = 1


@dataclass(frozen=True)
class Actor:
    """Who records a fact: the token's subject and role, and the request that carried it."""

    subject: str
    role: str
    request_id: str = ""


class DomainError(Exception):
    """A rule of the domain was broken; `rule` names it for machines."""

    rule = "domain_rule"


class NotFoundError(DomainError):
    """The aggregate or entry a command names does not exist."""

    rule = "not_found"


class DateOrderError(DomainError):
    """A date comes before the date of a fact it follows."""

    rule = "dates_out_of_order"


class InvalidValueError(DomainError):
    """A value is outside what the domain allows (a negative quantity, an empty name)."""

    rule = "invalid_value"


class FutureDateError(InvalidValueError):
    """`occurred_on` lies more than a day in the future."""

    rule = "occurred_on_in_future"


def non_empty(value: str, what: str) -> str:
    """The text without surrounding blanks, refusing an empty one."""
    if not value.strip():
        raise InvalidValueError(f"{what} must not be empty")
    return value.strip()


def one_of(words: type[E], value: str) -> str:
    """The value as a word of the given list, or InvalidValueError naming the list."""
    try:
        return words(value).value
    except ValueError:
        allowed = ", ".join(word.value for word in words)
        raise InvalidValueError(f"{value!r} is not a {words.__name__} ({allowed})") from None


def check_occurred_on(occurred_on: date, today: date, *, not_before: date | None = None) -> None:
    """Refuse effective dates in the future or before the fact they follow."""
    if occurred_on > today + timedelta(days=DAYS_AHEAD_ALLOWED):
        raise FutureDateError(f"occurred_on {occurred_on} is after {today} + 1 day")
    if not_before is not None and occurred_on < not_before:
        raise DateOrderError(f"occurred_on {occurred_on} is before {not_before}")


def stamp(by: Actor, occurred_on: date) -> dict[str, Any]:
    """The fields every event carries besides its own facts."""
    return {
        "occurred_on": occurred_on,
        "recorded_by": by.subject,
        "recorded_role": by.role,
        "request_id": by.request_id,
    }


class LedgerAggregate(Aggregate):
    """Base of the ledger's aggregates: every event says when it happened and who recorded it.

    Subclasses are decorated with `stable_topics`.
    """

    # Kept in memory after a save, for the next command to decide on (store/recent.py).
    remembered: ClassVar[bool] = True

    class Event(Aggregate.Event):
        occurred_on: date
        recorded_by: str
        recorded_role: str
        request_id: str

    class Created(Event, Aggregate.Created):
        pass


def stable_topics(prefix: str) -> Callable[[type[A]], type[A]]:
    """Class decorator: give an aggregate and all its event classes explicit, registered topics.

    Stored events name their class by topic; the library's default (module:qualname) would orphan
    every stored event of a class that is moved or renamed. The library's own `TOPIC` check at class
    creation also demands topics on the inherited `Created` and `Snapshot`, hence a decorator.
    """

    def register(aggregate_cls: type[A]) -> type[A]:
        _set_topic(aggregate_cls, f"ledger:{prefix}")
        for name, value in vars(aggregate_cls).items():
            if isinstance(value, type) and issubclass(value, CanMutateAggregate):
                _set_topic(value, f"ledger:{prefix}.{name}")
        return aggregate_cls

    return register


def _set_topic(cls: type, topic: str) -> None:
    cls.TOPIC = topic  # type: ignore[attr-defined]
    register_topic(topic, cls)


# Snapshots of every aggregate share one class; its topic must not move either.
_set_topic(LedgerAggregate.Snapshot, "ledger:Snapshot")
