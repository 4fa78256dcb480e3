"""What a command is sent with and answers, and the rules about racing writers a client sees."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from uuid import UUID

from domain.base import Actor, DomainError, LedgerAggregate
from domain.tracks import entry_id


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
    """Who sends a command, and the optional idempotency key and expected version with it.

    `defaulted` names the arguments the sender left out and were given their default (a date:
    today): its fingerprint holds them as left out, so that the same request sent again with
    the same key on another day replays the first answer rather than being refused."""

    actor: Actor
    idempotency_key: str | None = None
    expected_version: int | None = None
    defaulted: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CommandResult:
    """What a command answers: the id it created or changed, the version of the record it wrote
    to (`aggregate_id`: the episode of a track, the personal data of a person), log position.

    On an idempotent replay, `position` is the log position at the time of the replay: at or after
    the first answer's, so a reader waiting for it still sees the command's effects.
    """

    id: UUID
    version: int
    position: int
    replayed: bool = False
    # The record whose event at `version` the command wrote, when it is not `id`.
    recorded_in: UUID | None = None

    @property
    def aggregate_id(self) -> UUID:
        return self.recorded_in or self.id

    @property
    def entry_id(self) -> UUID:
        """The id of the event the command wrote (a history line's `event_id`): what voiding
        the entry names."""
        return entry_id(self.aggregate_id, self.version)

    def written_to(self, aggregate_id: UUID | None) -> CommandResult:
        return self if aggregate_id is None else replace(self, recorded_in=aggregate_id)


@dataclass(frozen=True)
class Decision:
    """What a command decided: the id to answer with, its version, and the aggregates to save."""

    id: UUID
    version: int
    aggregates: tuple[LedgerAggregate, ...]


def utc_today() -> date:
    return datetime.now(UTC).date()
