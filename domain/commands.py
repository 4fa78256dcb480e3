"""What a command is sent with and answers, and the rules about racing writers a client sees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID

from domain.base import Actor, DomainError, LedgerAggregate


class StaleVersionError(DomainError):
    """The command was decided on a version of the aggregate that is no longer the latest."""

    rule = "stale_version"


class ConcurrentWriteError(DomainError):
    """Other writers kept changing the same aggregates; nothing was written: retry later."""

    rule = "concurrent_write"
    # Seconds after which sending the command again is worth it (HTTP's Retry-After).
    retry_after = 1


@dataclass(frozen=True)
class Context:
    """Who sends a command, and the optional idempotency key and expected version with it."""

    actor: Actor
    idempotency_key: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class CommandResult:
    """What a command answers: the id it created or changed, that aggregate's version, log position.

    On an idempotent replay, `position` is the log position at the time of the replay: at or after
    the first answer's, so a reader waiting for it still sees the command's effects.
    """

    id: UUID
    version: int
    position: int
    replayed: bool = False


@dataclass(frozen=True)
class Decision:
    """What a command decided: the id to answer with, its version, and the aggregates to save."""

    id: UUID
    version: int
    aggregates: tuple[LedgerAggregate, ...]


def utc_today() -> date:
    return datetime.now(UTC).date()
