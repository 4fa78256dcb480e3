"""How the ledger writes: through the group committer, remembering what it saved, and
snapshotting from memory."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.persistence import Notification, PersistenceError, Recording, StoredEvent

from domain.base import LedgerAggregate
from store import cooperative
from store.committer import GroupCommitter
from store.recent import RecentAggregates


class SavingApplication(Application[UUID]):
    """The library's application with the ledger's write path; see store/committer.py."""

    # Off only to measure the library's own write path beside it (ops/bench).
    group_commit = True

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        super().__init__(env)
        self.snapshot_failures = 0
        self.committer = GroupCommitter(self.recorder.insert_events, self._already_stored)
        self.recent = RecentAggregates(int(self.env.get("AGGREGATE_CACHE_MAXSIZE") or 0))

    def close(self) -> None:
        """Write the commands already waiting, refuse new ones, then close the store."""
        self.committer.close()
        super().close()

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """Save aggregates atomically, and remember copies of them (the caller may go on)."""
        return self._save(objs, kwargs, owned=False)

    def save_owned(self, *objs: Any) -> list[Recording[UUID]]:
        """Save aggregates the caller will not touch again: they are remembered as they are."""
        return self._save(objs, {}, owned=True)

    def _save(
        self, objs: Sequence[Any], kwargs: dict[str, Any], owned: bool
    ) -> list[Recording[UUID]]:
        """The library's `save`, without its per-object Protocol checks (a fifth of a command's
        CPU on Python 3.11); what was saved is remembered last, when nothing reads it here."""
        if kwargs or not all(isinstance(obj, LedgerAggregate) for obj in objs):
            recordings = super().save(*objs, **kwargs)
        else:
            processing_event: ProcessingEvent[UUID] = ProcessingEvent()
            for aggregate in objs:
                processing_event.events.extend(aggregate.collect_events())
                processing_event.aggregates[aggregate.id] = aggregate
            recordings = self._record(processing_event)
            self._take_snapshots(processing_event)
            self._notify(recordings)
        self.recent.remember([obj for obj in objs if isinstance(obj, LedgerAggregate)], owned=owned)
        return recordings

    def _record(self, processing_event: ProcessingEvent[UUID]) -> list[Recording[UUID]]:
        """Write a save's events through the group committer (with a tracking record: alone)."""
        if (
            not self.group_commit
            or processing_event.tracking is not None
            or processing_event.saved_kwargs
        ):
            return cooperative.blocking(super()._record, processing_event)
        return self._record_in_group(processing_event.events)

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

    def _already_stored(self, event: StoredEvent) -> bool:
        version = event.originator_version
        found = self.recorder.select_events(event.originator_id, gt=version - 1, lte=version)
        return bool(found) and found[0].state == event.state

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
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
        for aggregate in processing_event.aggregates.values():
            interval = self.snapshotting_intervals.get(type(aggregate))
            saved = len([e for e in processing_event.events if e.originator_id == aggregate.id])
            if (
                interval
                and aggregate.version // interval != (aggregate.version - saved) // interval
            ):
                snapshots.append(cast(Any, type(aggregate)).Snapshot.take(aggregate))
        if not snapshots:
            return
        try:
            cooperative.blocking(self.snapshots.put, snapshots)
        except PersistenceError:
            self.snapshot_failures += 1
