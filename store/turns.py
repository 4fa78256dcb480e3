"""Turns on an aggregate within this process, taken only once a race on it was lost.

Commands of one process on one aggregate decide on what the process saved last, in microseconds,
while the loser of a race decides again on the store's state, a round trip later: measured, the
loser found the winner's next command already written, lost again and again, and gave up (see
ops/bench/DECISIONS.md). So a loser takes a turn on the aggregates it lost on, and until every
turn on one is over, this process's new commands on it queue and go one at a time, in order,
each deciding on what the one before it saved. The queue ends when nobody waits in it.

Nothing waits in a circle: a command holding a turn never waits for another, so whoever is
waited for is never waiting. A command that races with nobody pays one look into a dictionary.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from uuid import UUID

from store import cooperative


@dataclass(eq=False)
class _Waiter:
    wake: Callable[[], None] = lambda: None
    granted: bool = False


@dataclass
class _Turn:
    holders: int = 0
    queue: deque[_Waiter] = field(default_factory=deque)


class Turns:
    """Who holds a turn on which aggregate, and who waits for one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._turns: dict[UUID, _Turn] = {}

    def take(self, aggregate_ids: Iterable[UUID]) -> None:
        """A command lost a race on these: it holds a turn on each, beside any other holder."""
        with self._lock:
            for aggregate_id in aggregate_ids:
                self._turns.setdefault(aggregate_id, _Turn()).holders += 1

    def release(self, aggregate_ids: Iterable[UUID]) -> None:
        """The command's turns are over: each passes to the first in its queue, if any."""
        woken = []
        with self._lock:
            for aggregate_id in aggregate_ids:
                turn = self._turns[aggregate_id]
                turn.holders -= 1
                if turn.holders:
                    continue
                if turn.queue:
                    waiter = turn.queue.popleft()
                    waiter.granted, turn.holders = True, 1
                    woken.append(waiter.wake)
                else:
                    del self._turns[aggregate_id]
        for wake in woken:
            wake()

    def wait(self, aggregate_id: UUID, limit: float) -> bool:
        """For a command holding no turn: if the aggregate is taken, queue for a turn (on an
        event loop, a pause: see store/cooperative.py). Whether it got one (then it holds it
        until released); not after `limit` seconds, nor when nobody held the aggregate."""
        if aggregate_id not in self._turns:  # no lock: a race costs one more look below
            return False
        waiter = _Waiter()

        def enqueue(wake: Callable[[], None]) -> bool:
            with self._lock:
                turn = self._turns.get(aggregate_id)
                if turn is None:
                    return False
                waiter.wake = wake
                turn.queue.append(waiter)
                return True

        try:
            cooperative.until_called(enqueue, limit)
        except BaseException:  # given up (a request cancelled): a turn given meanwhile goes on
            if self._leave(aggregate_id, waiter):
                self.release([aggregate_id])
            raise
        return self._leave(aggregate_id, waiter)

    def _leave(self, aggregate_id: UUID, waiter: _Waiter) -> bool:
        """Whether the waiter was given its turn; if not, it leaves the queue."""
        with self._lock:
            if waiter.granted:
                return True
            turn = self._turns.get(aggregate_id)
            if turn is not None and waiter in turn.queue:
                turn.queue.remove(waiter)
            return False
