"""How the ledger writes: through the group committer, remembering what it saved, and
snapshotting from memory."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any, cast
from uuid import UUID

from eventsourcing.domain import CanMutateAggregate
from eventsourcing.persistence import (
    ApplicationRecorder,
    EventStore,
    Mapper,
    Notification,
    PersistenceError,
    Recording,
    StoredEvent,
)

from domain.base import LedgerAggregate
from store import cooperative
from store.committer import GroupCommitter
from store.recent import RecentAggregates


class Saving:
    """The library's `save`, written through the group committer (see store/committer.py)."""

    # Off only to measure the library's own write path beside it (ops/bench).
    group_commit = True

    def __init__(
        self,
        *,
        mapper: Mapper[UUID],
        recorder: ApplicationRecorder,
        events: EventStore[UUID],
        snapshots: EventStore[UUID] | None,
        intervals: dict[type[Any], int],
        committer: GroupCommitter,
        recent: RecentAggregates,
    ) -> None:
        self.mapper = mapper
        self.recorder = recorder
        self.events = events
        self.snapshots = snapshots
        self.intervals = intervals
        self.committer = committer
        self.recent = recent
        self.snapshot_failures = 0

    def save(self, aggregates: Sequence[LedgerAggregate], *, owned: bool) -> list[Recording[UUID]]:
        """Save aggregates atomically; remember them last, when nothing reads them here.

        `owned`: the caller will not touch them again, so they are remembered as they are.
        The library's own `save` checks each object against Protocols, which costs every command
        (ops/bench/DECISIONS.md): these are known to be the ledger's aggregates.
        """
        events: list[CanMutateAggregate[UUID]] = []
        for aggregate in aggregates:
            events.extend(aggregate.collect_events())
        if self.group_commit:
            recordings = self._record_in_group(events)
        else:
            recordings = cooperative.blocking(self.events.put, events)
        self._take_snapshots(aggregates, events)
        self.recent.remember(aggregates, owned=owned)
        return recordings

    def _record_in_group(self, events: list[Any]) -> list[Recording[UUID]]:
        stored = [self.mapper.to_stored_event(event) for event in events]
        if cooperative.paused():  # on the event loop, which serves others meanwhile
            positions = cooperative.wait_for(
                lambda done: self.committer.write_later(stored, done),
                self.committer.max_wait_seconds,
            )
        else:
            positions = self.committer.write(stored)
        if len(positions) != len(stored):  # found already written after a lost connection
            positions = [self.recorder.max_notification_id() or 0] * len(stored)
        return [
            Recording(event, Notification(s.originator_id, s.originator_version, s.topic,
                                          s.state, position))
            for event, s, position in zip(events, stored, positions, strict=True)
        ]  # fmt: skip

    def _take_snapshots(
        self, aggregates: Sequence[LedgerAggregate], events: list[CanMutateAggregate[UUID]]
    ) -> None:
        """Snapshot the aggregates just saved, from memory, once per save that crossed an interval.

        The library instead re-reads each interval's version from the store, replaying events: that
        cost more than the save itself. A snapshot at any version serves every later read.
        Snapshots are written after the command's events committed: failing the command now would
        tell the caller it did not happen when it did, so a failure is counted, and the next one
        catches up.
        """
        if self.snapshots is None:
            return
        snapshots = []
        saved = Counter(event.originator_id for event in events)
        for aggregate in aggregates:
            interval = self.intervals.get(type(aggregate))
            if (
                interval
                and aggregate.version // interval
                != (aggregate.version - saved[aggregate.id]) // interval
            ):
                snapshots.append(cast(Any, type(aggregate)).Snapshot.take(aggregate))
        if not snapshots:
            return
        try:
            cooperative.blocking(self.snapshots.put, snapshots)
        except PersistenceError:
            self.snapshot_failures += 1


def already_stored(recorder: ApplicationRecorder, event: StoredEvent) -> bool:
    """Whether this very event is in the store (a write retried after a lost connection)."""
    version = event.originator_version
    found = recorder.select_events(event.originator_id, gt=version - 1, lte=version)
    return bool(found) and found[0].state == event.state
