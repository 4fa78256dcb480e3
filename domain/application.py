"""How every command runs: load, decide, save atomically, with idempotency keys and versions."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import suppress
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import takewhile
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Mapper, Transcoder

from domain.base import Actor, DomainError, LedgerAggregate, NotFoundError
from domain.episode import Episode
from domain.facility import Facility
from domain.idempotency import IdempotencyRecord, idempotency_record_id
from domain.sealing import KeyRing
from store import cooperative
from store.recent import CopyingRepository
from store.saving import SavingApplication
from store.sealing import MemoryKeyRing, SealingMapper
from store.transcoding import DateAsISO, LedgerTranscoder
from store.turns import Turns

A = TypeVar("A", bound=LedgerAggregate)
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


def fingerprint(command: str, params: Mapping[str, Any], key: bytes) -> str:
    """A keyed digest of the command and its arguments, to tell a replay from a reused key.

    Keyed, because arguments may hold personal data: a plain hash of a name and a SNILS could be
    found again by trying candidates, and it stays in the store after the person is erased.
    """
    canonical = json.dumps([command, params], sort_keys=True, default=str)
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def utc_today() -> date:
    return datetime.now(UTC).date()


def _aware(moment: datetime) -> datetime:
    """A moment without a zone is taken as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class LedgerCore(SavingApplication):
    """The machinery under the ledger's commands; `Ledger` adds one method per command."""

    name = "Ledger"
    # An episode's snapshot holds a version for every service in it, so it grows as the episode
    # does: written every 100 events, snapshots of episodes taking a service per command took a
    # sixth of the CPU at 16 threads; every 250, 6,613-6,966 commands/s against 5,296-6,069
    # (alternating). A rural episode (~320 services a year) still gets one or two a year, and
    # reading one replays at most 249 events after its snapshot.
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Episode: 250, Facility: 100}
    # How long a command that keeps losing races is decided again before it is refused.
    retry_seconds = 2.0

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        clock: Callable[[], date] = utc_today,
        keyring: KeyRing | None = None,
        fingerprint_key: bytes = b"ledger-development-fingerprints",
    ) -> None:
        # The mapper is built inside the library's __init__, and it needs the key ring.
        self.keyring: KeyRing = keyring or MemoryKeyRing()
        self.fingerprint_key = fingerprint_key
        super().__init__(env)
        self.clock = clock
        self.turns = Turns()

    def construct_repository(self) -> Repository[UUID]:
        return CopyingRepository.like(super().construct_repository())

    def construct_mapper(self) -> Mapper[UUID]:
        return SealingMapper(self.construct_transcoder(), self.keyring)

    def construct_transcoder(self) -> Transcoder:
        transcoder = LedgerTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def load(
        self,
        cls: type[A],
        aggregate_id: UUID,
        expected_version: int | None = None,
        *,
        saved_again: bool = False,
    ) -> A:
        """The aggregate as now recorded, refusing a missing id or a different kind of aggregate.

        A command that will save the aggregate again says `saved_again`: then, on its first try,
        it waits for its turn if a race on the aggregate was lost here (see store/turns.py),
        and the aggregate as this process last saved it will do (see store/recent.py).
        """
        if saved_again and _MAY_USE_RECENT.get():
            held = _TURNS.get()
            if held is not None and not held and self.turns.wait(aggregate_id, self.retry_seconds):
                held.add(aggregate_id)
            recent = self.recent.take(aggregate_id)
            if isinstance(recent, cls) and expected_version in (None, recent.version):
                _USED_RECENT.set(True)
                return recent
            if recent is not None:  # not what this command needs: kept as it was
                self.recent.remember([recent], owned=True)
        try:
            aggregate: object = cooperative.blocking(self.repository.get, aggregate_id)
        except AggregateNotFoundError:
            raise NotFoundError(f"no {cls.__name__.lower()} {aggregate_id}") from None
        if not getattr(aggregate, "remembered", True):
            self._uncache(aggregate_id)
        if not isinstance(aggregate, cls):
            raise NotFoundError(f"no {cls.__name__.lower()} {aggregate_id}")
        if expected_version is not None and aggregate.version != expected_version:
            raise StaleVersionError(
                f"{cls.__name__.lower()} {aggregate_id} is at version {aggregate.version},"
                f" not {expected_version}"
            )
        return aggregate

    def recorded_events(
        self,
        aggregate_id: UUID,
        known_at: datetime | None = None,
        *,
        after: int = 0,
        limit: int | None = None,
    ) -> list[Any]:
        """The aggregate's events after version `after` in order, at most `limit` of them, and
        only those recorded by `known_at` if given.

        Each version was recorded after the one before it, so what was known at a moment is a
        prefix of the stream: reading stops at the first event recorded later.
        """
        events: Iterator[Any] = self.events.get(aggregate_id, gt=after or None, limit=limit)
        if known_at is None:
            return list(events)
        moment = _aware(known_at)
        return list(takewhile(lambda event: event.timestamp <= moment, events))

    def version_known_at(self, aggregate_id: UUID, known_at: datetime) -> int:
        """The aggregate's last version recorded by `known_at` (0: none was), found by bisection
        over the versions, one event read a step: a long stream is not replayed to find it."""
        last = self.recorder.select_events(aggregate_id, desc=True, limit=1)
        known, unknown = 0, (last[0].originator_version + 1 if last else 1)
        while unknown - known > 1:
            middle = (known + unknown) // 2
            if self.recorded_events(aggregate_id, known_at, after=middle - 1, limit=1):
                known = middle
            else:
                unknown = middle
        return known

    def _uncache(self, aggregate_id: UUID) -> None:
        """Drop an aggregate from the library's cache: personal data is not kept in memory (an
        erasure would leave it readable there, in every process that had read it)."""
        cache = self.repository.cache
        if cache is not None:
            with suppress(KeyError):  # not there
                cache.get(aggregate_id, evict=True)

    def load_as_known(self, cls: type[A], aggregate_id: UUID, known_at: datetime | None) -> A:
        """The aggregate as it was known at `known_at` (now, if None), from its latest snapshot
        of that time on."""
        if known_at is None:
            return self.load(cls, aggregate_id)
        version = self.version_known_at(aggregate_id, known_at)
        aggregate: object = None
        if version:
            aggregate = self.repository.get(aggregate_id, version=version)
        if not isinstance(aggregate, cls):
            raise NotFoundError(f"no {cls.__name__.lower()} {aggregate_id} known at {known_at}")
        return aggregate

    def execute(
        self,
        ctx: Context,
        command: str,
        params: Mapping[str, Any],
        decide: Callable[[date], Decision],
    ) -> CommandResult:
        """Run one command: replay it if its key was seen, else decide and save all at once.

        `params` are the command's arguments (a method's `locals()`): `self`, `ctx` and callables
        are left out of the fingerprint, as are ids the command generates (pass them as None).

        A write that lost a race is decided again on the store's state (so the loser of the last
        bed hears "no bed", not "try again") until it is written or breaks a rule, for at most
        `retry_seconds`, unless the caller pinned a version with `expected_version`.
        """
        digest = ""
        if ctx.idempotency_key is not None:
            arguments = {
                k: v for k, v in params.items() if k not in ("self", "ctx") and not callable(v)
            }
            digest = fingerprint(command, arguments, self.fingerprint_key)
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
                    recordings = self.save_owned(*aggregates)
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

    def _decide(self, decide: Callable[[date], Decision], today: date, again: bool) -> Decision:
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

    def _change(
        self,
        ctx: Context,
        cls: type[Any],
        aggregate_id: UUID,
        command: str,
        params: dict[str, Any],
        act: Callable[[Any, date], object],
        result_id: UUID | None = None,
    ) -> CommandResult:
        """Load one aggregate (at the expected version, if given), apply one command, save it."""

        def decide(today: date) -> Decision:
            aggregate = self.load(cls, aggregate_id, ctx.expected_version, saved_again=True)
            act(aggregate, today)
            return Decision(result_id or aggregate_id, aggregate.version, (aggregate,))

        return self.execute(ctx, command, params, decide)

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
        position_of = getattr(self.recorder, "position_of", None)
        found = position_of(record_id, 1) if position_of is not None else None
        return found if found is not None else self.recorder.max_notification_id() or 0
