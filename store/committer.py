"""Group commit: the events of concurrent commands written in one transaction, each command whole.

A caller that finds nobody writing writes at once; callers arriving meanwhile queue, and when the
write in progress ends one of them writes everything queued in one transaction (one table lock,
one flush, one NOTIFY: the log stays gap-free in commit order). A refused group is written again
command by command, so only the one at fault fails; racers for one aggregate's next version are
told they lost without a transaction each (`_write_claims`). Commands on an event loop
(`write_later`, store/cooperative.py) have a writer thread lead their groups. (README: "Write
path: group commit".)
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from queue import SimpleQueue

from eventsourcing.persistence import DataError, IntegrityError, PersistenceError, StoredEvent

Insert = Callable[[Sequence[StoredEvent]], Sequence[int] | None]
# Told a write's log positions, or the error that refused it.
Tell = Callable[[Sequence[int] | None, BaseException | None], None]
# Told, after each transaction, how many commands it wrote and how long it took.
Observer = Callable[[int, float], None]


class OverloadedError(Exception):
    """Too many commands are waiting to be written, or the ledger is shutting down; retry."""


class _Wake:
    """A one-shot signal: a raw lock, held from the start until set.

    Cheaper than `threading.Event`, which runs a condition variable in Python and allocates a
    lock per wait (ops/bench/DECISIONS.md). Set only under the committer's lock, and at most
    once before its waiter has woken."""

    __slots__ = ("_lock",)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()

    def set(self) -> None:
        if self._lock.locked():
            self._lock.release()

    def wait(self, timeout: float = -1) -> bool:
        if not self._lock.acquire(timeout=timeout):
            return False
        self._lock.release()  # stays set
        return True


@dataclass
class _Write:
    """One command's events, and in time its log positions or the error that refused it."""

    events: Sequence[StoredEvent]
    positions: Sequence[int] | None = None
    error: BaseException | None = None
    # Set when the write is done, or when its caller is to write the next group.
    wake: _Wake = field(default_factory=_Wake, repr=False)
    done: bool = False
    leads: bool = False
    # A write with no thread waiting for it (see `write_later`): told when it is done.
    tell: Callable[[_Write], None] | None = field(default=None, repr=False)


class GroupCommitter:
    """Writes concurrent commands' events together; see the module's docstring."""

    def __init__(
        self,
        insert: Insert,
        already_stored: Callable[[StoredEvent], bool],
        *,
        max_waiting: int = 512,
        max_group_events: int = 10_000,
        max_wait_seconds: float = 10.0,
        observe: Observer | None = None,
    ) -> None:
        # Both may be replaced before the first write: a faster insert, a metrics observer.
        self.insert = insert
        self.observe = observe
        self._already_stored = already_stored
        self.max_waiting = max_waiting
        self.max_group_events = max_group_events
        self.max_wait_seconds = max_wait_seconds
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._waiting: deque[_Write] = deque()
        self._writing = False
        self._closed = False
        # Leads groups for writes no thread waits for; started with the first of them.
        self._leaders: SimpleQueue[_Write | None] = SimpleQueue()
        self._writer: threading.Thread | None = None

    @property
    def depth(self) -> int:
        """Commands waiting for the write in progress to end."""
        return len(self._waiting)

    def write(self, events: Sequence[StoredEvent]) -> Sequence[int]:
        """Write one command's events, alone or with others; their log positions, in order."""
        mine = _Write(events)
        with self._lock:
            self._admit(mine)
        if not mine.leads:
            self._wait_for_turn(mine)
        if not mine.done:
            group = self._take(mine)
            try:
                self._write_group(group)
            finally:
                self._hand_over(group)
        if mine.error is not None:
            raise mine.error
        assert mine.positions is not None
        return mine.positions

    def write_later(self, events: Sequence[StoredEvent], tell: Tell) -> Callable[[], None]:
        """Write one command's events, alone or with others, with no thread waiting for them:
        `tell` is given their log positions, or the error that refused them, from another
        thread. Returned: what gives the write up if it is still waiting (see `withdraw`)."""
        mine = _Write(events, tell=lambda write: tell(write.positions, write.error))
        with self._lock:
            self._admit(mine)
            if mine.leads:
                self._lead_for(mine)
        return lambda: self.withdraw(mine)

    def _admit(self, mine: _Write) -> None:
        """Under the lock: lead if nobody writes, else queue; refused when full or closing."""
        if self._closed:
            raise OverloadedError("the ledger is shutting down; retry")
        if not self._writing:
            self._writing = mine.leads = True
        elif len(self._waiting) >= self.max_waiting:
            raise OverloadedError(f"{len(self._waiting)} commands are waiting; retry")
        else:
            self._waiting.append(mine)

    def withdraw(self, write: _Write) -> None:
        """Refuse a write no thread waits for, if it is still waiting after `max_wait_seconds`
        (as a waiting thread is refused then); once in a group, it goes on."""
        with self._lock:
            if write in self._waiting and write.tell is not None:
                self._waiting.remove(write)
                write.error = OverloadedError("the store is slow to accept writes; retry")
                write.done = True
                write.tell(write)

    def close(self, timeout: float = 30.0) -> None:
        """Refuse new commands and wait until those already waiting are written."""
        with self._idle:
            self._closed = True
            self._idle.wait_for(lambda: not self._waiting and not self._writing, timeout)
        if self._writer is not None:
            self._leaders.put(None)
            self._writer.join(timeout)

    def _lead_for(self, write: _Write) -> None:
        """Have the writer thread lead the next group for a write no thread waits for."""
        if self._writer is None:
            self._writer = threading.Thread(target=self._lead, name="group-writer", daemon=True)
            self._writer.start()
        self._leaders.put(write)

    def _lead(self) -> None:
        while (mine := self._leaders.get()) is not None:
            group = self._take(mine)
            try:
                self._write_group(group)
            finally:
                self._hand_over(group)

    def _wait_for_turn(self, mine: _Write) -> None:
        """Until the write is done by another caller, or this caller is to lead the next group."""
        if mine.wake.wait(self.max_wait_seconds):
            return
        with self._lock:
            if mine in self._waiting and not mine.leads:
                self._waiting.remove(mine)
                raise OverloadedError("the store is slow to accept writes; retry")
        # Taken into a group meanwhile: wait for its outcome, it may be committing.
        mine.wake.wait()

    def _take(self, mine: _Write) -> list[_Write]:
        """The leader's own command first, then the longest waiting, up to the group's size."""
        with self._lock:
            group, size = [mine], len(mine.events)
            while self._waiting and size + len(self._waiting[0].events) <= self.max_group_events:
                write = self._waiting.popleft()
                group.append(write)
                size += len(write.events)
            return group

    def _hand_over(self, group: list[_Write]) -> None:
        """Wake the group's callers, and the longest waiting caller to write the next group."""
        with self._lock:
            for write in group:
                write.done = True
                if write.tell is not None:
                    write.tell(write)
                else:
                    write.wake.set()
            if self._waiting:
                following = self._waiting.popleft()
                following.leads = True
                if following.tell is not None:
                    self._lead_for(following)
                else:
                    following.wake.set()
            else:
                self._writing = False
                self._idle.notify_all()

    def _write_group(self, group: list[_Write]) -> None:
        started = time.perf_counter()
        try:
            if len(group) == 1:
                self._write_alone(group[0])
            else:
                self._write_together(group)
        finally:
            if self.observe is not None:
                self.observe(len(group), time.perf_counter() - started)

    def _write_together(self, group: list[_Write]) -> None:
        combined = [event for write in group for event in write.events]
        try:
            positions = self.insert(combined)
        except IntegrityError:
            self._write_claims(group)
            return
        except DataError:
            for write in group:
                self._write_alone(write)
            return
        except BaseException as error:  # the outcome is every command's, whatever it is
            for write in group:
                write.error = error
            return
        start = 0
        for write in group:
            end = start + len(write.events)
            write.positions = positions[start:end] if positions else []
            start = end

    def _write_claims(self, group: list[_Write]) -> None:
        """After a combined write lost a race: the commands claiming no version that an earlier
        one of the group claims are written (together, else each alone); each of the others, if
        a version it claims has just been written, lost to it, as it would have alone; if not,
        it is written alone. Else racers for the same beds cost a transaction each
        (ops/bench/DECISIONS.md)."""
        claimed: set[tuple[object, int]] = set()
        firsts: list[_Write] = []
        seconds: list[_Write] = []
        for write in group:
            claims = {(e.originator_id, e.originator_version) for e in write.events}
            (seconds if claims & claimed else firsts).append(write)
            claimed |= claims
        if seconds and len(firsts) > 1:
            self._write_together(firsts)
        else:
            for write in firsts:
                self._write_alone(write)
        written = {
            (e.originator_id, e.originator_version)
            for write in firsts
            if write.error is None
            for e in write.events
        }
        for write in seconds:
            if any((e.originator_id, e.originator_version) in written for e in write.events):
                write.error = IntegrityError("another command of its group wrote that version")
            else:
                self._write_alone(write)

    def _write_alone(self, write: _Write) -> None:
        try:
            write.positions = self.insert(write.events) or []
        except IntegrityError as error:
            write.error = error
            # A retried write whose first attempt committed before its connection was lost
            # meets its own rows: that command happened, and must not be told it conflicted.
            try:
                if write.events and self._already_stored(write.events[0]):
                    write.positions, write.error = [], None
            except PersistenceError:
                pass  # the store cannot tell now: the conflict stands as the answer
        except BaseException as error:
            write.error = error
