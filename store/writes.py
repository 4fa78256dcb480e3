"""How a command meets the store: its key looked up, its decision saved, and a lost race decided
again, on the aggregates this process saved last when it can (store/recent.py)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from contextvars import ContextVar
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.application import Repository, project_aggregate
from eventsourcing.persistence import ApplicationRecorder, IntegrityError, Recording

from domain.base import DomainError, LedgerAggregate
from domain.commands import (
    CommandResult,
    ConcurrentWriteError,
    Context,
    Decision,
    StaleVersionError,
)
from domain.idempotency import IdempotencyRecord, idempotency_record_id
from domain.ports import Decide
from store import cooperative
from store.pg_log import LedgerRecorder
from store.recent import RecentAggregates
from store.saving import Saving
from store.sealing import SealingMapper
from store.sqlite_log import LedgerSQLiteRecorder
from store.turns import Turns

# A command that lost a race and is not pinned to a version is decided again, after a random
# pause of at most FIRST_BACKOFF doubling per loss up to MAX_BACKOFF (seconds), until it is
# written or breaks a rule; a bound in time, not in attempts (see ops/bench/DECISIONS.md).
FIRST_BACKOFF = 0.001
MAX_BACKOFF = 0.05
# Whether the command deciding in this thread, or greenlet (store/cooperative.py), is deciding
# for the first time and so may decide on recently saved state, and whether it did.
_MAY_USE_RECENT: ContextVar[bool] = ContextVar("may_use_recent", default=False)
_USED_RECENT: ContextVar[bool] = ContextVar("used_recent", default=False)
# The aggregates on which the command running here holds a turn (store/turns.py).
_TURNS: ContextVar[set[UUID] | None] = ContextVar("turns", default=None)

# Where a recorder finds an event's log position (store/pg_log.py, store/sqlite_log.py).
PositionOf = Callable[[UUID, int], "int | None"]


class CommandWrites:
    """The ledger's commands against its store; see domain/ports.py `Writes`."""

    # How long a command that keeps losing races is decided again before it is refused.
    retry_seconds = 2.0

    def __init__(
        self,
        *,
        recorder: ApplicationRecorder,
        repository: Repository[UUID],
        saving: Saving,
        clock: Callable[[], date],
        position_of: PositionOf | None = None,
    ) -> None:
        self.recorder = recorder
        self.repository = repository
        self.saving = saving
        self.committer = saving.committer
        self.recent: RecentAggregates = saving.recent
        self.clock = clock
        self.position_of = position_of
        self.turns = Turns()

    def close(self) -> None:
        """Write the commands already waiting, and refuse new ones."""
        self.committer.close()

    def save(self, aggregates: Sequence[LedgerAggregate]) -> list[Recording[UUID]]:
        return self.saving.save(aggregates, owned=False)

    def peek(self, aggregate_id: UUID) -> object | None:
        return self.recent.peek(aggregate_id)

    def get(
        self, aggregate_id: UUID, *, saved_again: bool, fits: Callable[[object], bool]
    ) -> object:
        """On a command's first try, for an aggregate it will save again: it waits for its turn
        if a race on the aggregate was lost here (see store/turns.py), and the aggregate as this
        process last saved it will do if it fits."""
        if saved_again and _MAY_USE_RECENT.get():
            held = _TURNS.get()
            if held is not None and not held and self.turns.wait(aggregate_id, self.retry_seconds):
                held.add(aggregate_id)
            recent = self.recent.take(aggregate_id)
            if recent is not None and fits(recent):
                _USED_RECENT.set(True)
                return recent
            if recent is not None:  # not what this command needs: kept as it was
                self.recent.remember([recent], owned=True)
        aggregate: object = self.repository.get(aggregate_id)
        if isinstance(aggregate, LedgerAggregate) and not aggregate.remembered:
            self._uncache(aggregate_id)
        return aggregate

    def get_many(self, aggregate_ids: Sequence[UUID]) -> dict[UUID, object]:
        """Aggregates as now stored, every event of theirs read in one query (short streams
        only: snapshots are not used); ids of no aggregate are left out."""
        return cooperative.blocking(self._get_many, list(aggregate_ids))

    def _get_many(self, aggregate_ids: list[UUID]) -> dict[UUID, object]:
        recorder, mapper = self.recorder, self.repository.event_store.mapper
        if isinstance(recorder, LedgerRecorder | LedgerSQLiteRecorder):
            stored = recorder.select_streams(aggregate_ids)
        else:  # in memory: nothing to save by asking once
            stored = [e for i in aggregate_ids for e in recorder.select_events(i)]
        if isinstance(mapper, SealingMapper):
            events = mapper.to_domain_events(stored)
        else:
            events = [mapper.to_domain_event(stored_event) for stored_event in stored]
        streams: dict[UUID, list[Any]] = {}
        for event in events:
            streams.setdefault(event.originator_id, []).append(event)
        found = {i: project_aggregate(None, streams[i]) for i in aggregate_ids if i in streams}
        return {i: aggregate for i, aggregate in found.items() if aggregate is not None}

    def _uncache(self, aggregate_id: UUID) -> None:
        """Drop an aggregate from the library's cache: personal data is not kept in memory (an
        erasure would leave it readable there, in every process that had read it)."""
        cache = self.repository.cache
        if cache is not None:
            with suppress(KeyError):  # not there
                cache.get(aggregate_id, evict=True)

    def run(self, ctx: Context, digest: str, decide: Decide) -> CommandResult:
        """Replay the command if its key was seen, else decide and save all at once.

        A write that lost a race is decided again on the store's state (so the loser of the last
        bed hears "no bed", not "try again") until it is written or breaks a rule, for at most
        `retry_seconds`, unless the caller pinned a version with `expected_version`.
        """
        losses, deadline = 0, 0.0
        held: set[UUID] = set()  # its turns: given while it waited, or taken when it lost
        token = _TURNS.set(held)
        try:
            while True:
                if ctx.idempotency_key is not None:  # a look at the store: paused for, on a loop
                    replay = cooperative.blocking(self._replay, ctx, digest)
                    if replay is not None:
                        return replay
                today = self.clock()
                decision = self._decide(decide, today, again=losses > 0)
                aggregates = list(decision.aggregates)
                if ctx.idempotency_key is not None:
                    aggregates.append(
                        IdempotencyRecord.record(
                            key=ctx.idempotency_key,
                            fingerprint=digest,
                            result_id=decision.id,
                            result_version=decision.version,
                            by=ctx.actor,
                            today=today,
                        )
                    )
                try:
                    # The command's own objects: nothing touches them after this save.
                    recordings = self.saving.save(aggregates, owned=True)
                except IntegrityError:
                    lost = {a.id for a in decision.aggregates}
                    self.recent.forget(lost)
                    if ctx.expected_version is not None:
                        raise StaleVersionError("another command changed it first") from None
                    losses += 1
                    deadline = deadline or time.monotonic() + self.retry_seconds
                    self.turns.take(lost - held)
                    held |= lost
                    self._pause_before_deciding_again(losses, deadline)
                    continue
                return CommandResult(decision.id, decision.version, recordings[-1].notification.id)
        finally:
            _TURNS.reset(token)
            if held:
                self.turns.release(held)

    def _pause_before_deciding_again(self, losses: int, deadline: float) -> None:
        """The first loss is decided again at once: the winner's state is in the store, and this
        process's new commands on it wait for their turns. Later losses were to other losers or
        to another process: a random pause spreads them out. Past the deadline, refused."""
        pause = 0.0
        if losses > 1:
            pause = random.uniform(0, min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** (losses - 2)))
        if time.monotonic() + pause >= deadline:
            raise ConcurrentWriteError(
                f"other writers kept changing it for {self.retry_seconds:g} s; retry"
            )
        if pause:
            cooperative.pause(pause)

    def _decide(self, decide: Decide, today: date, again: bool) -> Decision:
        """A first decision is made on recently saved state if there is some, and if refused on
        it, on the store's. Deciding again after a lost race is done on the store's state."""
        if again:
            return decide(today)
        _MAY_USE_RECENT.set(True)
        _USED_RECENT.set(False)
        try:
            return decide(today)
        except DomainError:
            if not _USED_RECENT.get():
                raise
            _MAY_USE_RECENT.set(False)
            return decide(today)
        finally:
            _MAY_USE_RECENT.set(False)

    def _replay(self, ctx: Context, digest: str) -> CommandResult | None:
        """The first answer to this key, if the key was seen (the context carries one)."""
        assert ctx.idempotency_key is not None
        record_id = idempotency_record_id(ctx.actor.subject, ctx.idempotency_key)
        # A new key is the usual case: one look at the log, where the repository would also look
        # for a snapshot first.
        if not self.recorder.select_events(record_id, limit=1):
            return None
        record: object = self.repository.get(record_id)
        assert isinstance(record, IdempotencyRecord)
        record.check_same_command(digest)
        return CommandResult(
            record.result_id, record.result_version, self._first_position(record_id), replayed=True
        )

    def _first_position(self, record_id: UUID) -> int:
        """The position the first answer gave: its record was the last event that command saved.
        A store that cannot tell answers its head, which is never before it."""
        found = self.position_of(record_id, 1) if self.position_of is not None else None
        return found if found is not None else self.recorder.max_notification_id() or 0
