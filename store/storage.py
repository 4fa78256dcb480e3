"""The Ledger's store, built from its parts: the recorder for the configured database, the
sealing mapper, the repository that pauses on the event loop, and the write path of commands
(group commit, recently saved aggregates, turns of race losers). See domain/ports.py `Storage`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any
from uuid import UUID

from eventsourcing.application import Application, Repository
from eventsourcing.persistence import ApplicationRecorder, InfrastructureFactory, Mapper
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresFactory
from eventsourcing.sqlite import SQLiteFactory

from domain.sealing import KeyRing
from store.committer import GroupCommitter, Observer
from store.person_index import MemoryPersonIndex
from store.pg_append import one_trip_insert
from store.pg_log import LedgerRecorder
from store.recent import CopyingRepository, RecentAggregates
from store.saving import Saving, already_stored
from store.sealing import MemoryKeyRing, SealingMapper
from store.sqlite_log import LedgerSQLiteRecorder
from store.transcoding import ledger_transcoder
from store.writes import CommandWrites


class LedgerStorage:
    """What the Ledger is built on; the composition root makes one per Ledger."""

    def __init__(
        self,
        keyring: KeyRing | None = None,
        *,
        schema_made: bool = False,
        max_waiting: int = 512,
        max_wait_seconds: float = 10.0,
        observe: Observer | None = None,
    ) -> None:
        """`schema_made`: another process made the tables and the append function; the limits
        bound the commands waiting for a write (see store/committer.py)."""
        self._keyring: KeyRing = keyring or MemoryKeyRing()
        self.schema_made = schema_made
        self.max_waiting = max_waiting
        self.max_wait_seconds = max_wait_seconds
        self.observe = observe

    @property
    def keyring(self) -> KeyRing:
        return self._keyring

    def recorder(self, factory: InfrastructureFactory[Any]) -> ApplicationRecorder:
        """The recorder of the configured database, which also tells an event's log position."""
        recorder: ApplicationRecorder
        if isinstance(factory, PostgresFactory):
            recorder = LedgerRecorder(
                datastore=factory.datastore,
                events_table_name=f"{factory.env.name.lower()}_events",
            )
        elif isinstance(factory, SQLiteFactory):
            recorder = LedgerSQLiteRecorder(datastore=factory.datastore)
        else:  # in memory
            return factory.application_recorder()
        if factory.env_create_table():
            recorder.create_table()
        return recorder

    def person_index(self) -> MemoryPersonIndex:
        """An index in memory: the composition root gives a Ledger on a database its own."""
        return MemoryPersonIndex(self._keyring)

    def mapper(self) -> Mapper[UUID]:
        return SealingMapper(ledger_transcoder(), self._keyring)

    def repository(self, library: Repository[UUID]) -> Repository[UUID]:
        return CopyingRepository.like(library)

    def writes(self, ledger: Application[UUID], clock: Callable[[], date]) -> CommandWrites:
        recorder = ledger.recorder
        insert = (
            one_trip_insert(recorder, made=self.schema_made)
            if isinstance(recorder, PostgresApplicationRecorder)
            else recorder.insert_events
        )
        committer = GroupCommitter(
            insert,
            partial(already_stored, recorder),
            max_waiting=self.max_waiting,
            max_wait_seconds=self.max_wait_seconds,
            observe=self.observe,
        )
        saving = Saving(
            mapper=ledger.mapper,
            recorder=recorder,
            events=ledger.events,
            snapshots=ledger.snapshots,
            intervals=dict(ledger.snapshotting_intervals),
            committer=committer,
            recent=RecentAggregates(int(ledger.env.get("AGGREGATE_CACHE_MAXSIZE") or 0)),
        )
        position_of = (
            recorder.position_of
            if isinstance(recorder, LedgerRecorder | LedgerSQLiteRecorder)
            else None
        )
        return CommandWrites(
            recorder=recorder,
            repository=ledger.repository,
            saving=saving,
            clock=clock,
            position_of=position_of,
        )
