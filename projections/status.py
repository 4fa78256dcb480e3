"""Where each read model (or the seal) stands against the log: position, lag, last heartbeat."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from eventsourcing.persistence import ApplicationRecorder, Notification

from projections import heartbeats
from store.read_store import ReadStore


@dataclass(frozen=True)
class Status:
    """Where a read model (or the seal) is: its position, the log head, and how long ago the
    oldest event it lacks was recorded (`lag_seconds`) and its follower last reported (`None`:
    never)."""

    name: str
    position: int
    head: int
    lag_seconds: float = 0.0
    heartbeat_age: float | None = None

    @property
    def lag(self) -> int:
        return max(self.head - self.position, 0)


def statuses(
    recorder: ApplicationRecorder,
    store: ReadStore,
    names: Sequence[str],
    recorded: Callable[[Notification], datetime],
    now: datetime,
) -> list[Status]:
    """The live generation's status of each named read model (or the seal), whoever follows it.

    The lag in seconds is how long ago the oldest event a model lacks was recorded (`recorded`
    reads that from a stored event): a model that has every event up to what the head was N
    seconds ago lags N seconds, however many positions that is.
    """
    head = recorder.max_notification_id() or 0
    live = store.generations()
    positions = store.positions([f"{name}@{live.get(name, 0)}" for name in names])
    beats = heartbeats.last_beats(store)
    found = []
    for name, position in zip(names, positions, strict=True):
        lag_seconds = 0.0
        if position < head:
            oldest_missing = recorder.select_notifications(position + 1, 1)
            if oldest_missing:
                waited = now - recorded(oldest_missing[0])
                lag_seconds = max(waited.total_seconds(), 0.0)
        beat = beats.get(name)
        age = None if beat is None else max((now - beat).total_seconds(), 0.0)
        found.append(Status(name, position, head, lag_seconds, age))
    return found
