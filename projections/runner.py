"""Following the log into read models: a transaction per batch, rows and position together."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from itertools import chain
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import ApplicationRecorder, Notification

from projections import heartbeats
from projections.model import ReadModel
from projections.store import ReadStore

DEFAULT_BATCH = 500


class ReadModelTimeoutError(Exception):
    """A read model did not reach the asked log position in time."""


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


class Follower:
    """Feeds the log, in order and in batches, to one read model or several.

    Only the models' own topics are read (filtered in SQL). The position recorded after a batch
    is the log head the batch was read up to: commits are in log order (the store's table lock),
    so nothing at or below a visible head can still appear.

    Several models (one store) share one reader: the log is read and decoded once, and every
    model writes its rows and position in the batch's one transaction. On two cores, four
    processes of one model each, each waking for every commit, took a third of the machine
    together. The price: a model that fails stops the others with it.
    """

    def __init__(
        self,
        ledger: Application[Any],
        *models: ReadModel,
        batch_size: int = DEFAULT_BATCH,
        follow_switches: bool = True,
    ) -> None:
        if not models:
            raise ValueError("a follower needs at least one read model")
        self.ledger = ledger
        self.models = list(models)
        self.batch_size = batch_size
        self.follow_switches = follow_switches
        # Whether the last batch reached the log head it saw: then no need to look again.
        self.at_head = False
        # When to report next that this follower is alive (None: not while only catching up).
        self._next_beat: float | None = None

    @property
    def names(self) -> str:
        return "+".join(model.name for model in self.models)

    def catch_up_once(self) -> int:
        """Process one batch; return how far the slowest model advanced (0: nothing new)."""
        store = self.models[0].store
        if self.follow_switches:
            live = store.generations()
            for model in self.models:
                model.follow_switch(live.get(model.name, 0))
        positions = store.positions([model.tracking_name for model in self.models])
        start = min(positions)
        head = self.ledger.recorder.max_notification_id() or 0
        if head <= start:
            return 0
        try:
            batch = read(self.ledger, self.models, start, head, self.batch_size)
            apply(self.models, batch, positions)
        except Exception:
            # A rebuild switched generations (and dropped these tables) after the check above.
            # The batch rolled back whole; new instances, on the live generations, read it
            # again without what the failed batch had gathered in memory.
            if not self.follow_switches or all(
                model.live_generation() == model.generation for model in self.models
            ):
                raise
            self.models = [model.renewed() for model in self.models]
            return 0
        self.at_head = batch.reached >= head
        return batch.reached - start

    def catch_up(self, stop: threading.Event | None = None) -> int:
        """Process batches until the head; return how many log positions were covered."""
        covered = 0
        while stop is None or not stop.is_set():
            advanced = self.catch_up_once()
            self._beat()
            covered += advanced
            if not advanced or self.at_head:
                break
        return covered

    def run(
        self,
        stop: threading.Event,
        poll_interval: float = 0.1,
        wait: Callable[[float], object] | None = None,
        linger: float = 0.0,
    ) -> None:
        """Follow the log until `stop` is set; finishes the batch in hand first.

        At the head it waits `poll_interval`, or less if `wait` (say, for a NOTIFY) returns early.
        After every round that reached the head it lingers, so that writes committed close
        together are read as one batch. Lingering only after a wake-up was not enough: under a
        steady load the head had always moved, and the models read a few events at a time. Over
        HTTP at 16 clients (alternating runs), lingering 10 ms after every round took 125-192 us
        of the process's CPU a command against 282-350, read-your-writes p50/p99 32-42/69-93 ms
        against 40-44/88-107, and 947-1,240 commands/s against 799-979.

        Every second, even when idle, and between batches of a long catch-up, it records a
        heartbeat (see projections/heartbeats.py): `/ready` tells a follower gone from one idle.
        """
        # Made beforehand where processes start together (see api/bootstrap.py): then a no-op.
        heartbeats.create_table(self.models[0].store)
        self._next_beat = 0.0
        while not stop.is_set():
            if not self.catch_up(stop):
                for model in self.models:
                    # The seal signs its tail on a quiet ledger (see AuditChain.idle).
                    idle = getattr(model, "idle", None)
                    if idle is not None:
                        idle()
                (wait or stop.wait)(poll_interval)
            if linger:
                stop.wait(linger)

    def _beat(self) -> None:
        if self._next_beat is None or time.monotonic() < self._next_beat:
            return
        heartbeats.beat(
            self.models[0].store, [model.name for model in self.models], heartbeats.this_follower()
        )
        self._next_beat = time.monotonic() + heartbeats.EVERY_SECONDS

    def statuses(self) -> list[Status]:
        head = self.ledger.recorder.max_notification_id() or 0
        return [Status(model.name, model.position(), head) for model in self.models]


@dataclass(frozen=True)
class Batch:
    """A batch of the log read for some models: what they were given, and the position reached."""

    notifications: Sequence[Notification]
    decoded: list[Any]
    reached: int

    @cached_property
    def by_topic(self) -> dict[str, list[int]]:
        """Where each topic's events are in the batch: worked out once for all the models."""
        found: dict[str, list[int]] = {}
        for i, notification in enumerate(self.notifications):
            found.setdefault(notification.topic, []).append(i)
        return found

    def events_for(self, model: ReadModel) -> list[tuple[Any, int]]:
        """The model's events of this batch (raw notifications for a raw model), in log order."""
        notifications = self.notifications
        source = notifications if model.RAW else self.decoded
        if not model.TOPICS:
            return [(source[i], n.id) for i, n in enumerate(notifications)]
        runs = [self.by_topic[topic] for topic in model.TOPICS if topic in self.by_topic]
        indices = runs[0] if len(runs) == 1 else sorted(chain.from_iterable(runs))
        return [(source[i], notifications[i].id) for i in indices]


def read(
    ledger: Application[Any], models: Sequence[ReadModel], start: int, head: int, batch: int
) -> Batch:
    """Read and decode (once for all the models) the next `batch` log positions after `start`.

    Only the models' own topics are read (filtered in SQL); a raw model takes every topic. The
    positions asked for are bounded, not only the rows: with a topic filter and an open range,
    PostgreSQL was seen to plan a sort of the whole rest of the log for every batch (0.9 s each
    for 5,000 rows, half a million sorted on disk), where the bounded range takes 8 ms.
    """
    every_topic = any(not model.TOPICS for model in models)
    topics = [] if every_topic else sorted(frozenset().union(*(m.TOPICS for m in models)))
    reached = min(head, start + batch)
    notifications = ledger.recorder.select_notifications(
        start + 1, batch, stop=reached, topics=topics
    )
    decoded = (
        [ledger.mapper.to_domain_event(n) for n in notifications]
        if any(not model.RAW for model in models)
        else []
    )
    return Batch(notifications, decoded, reached)


def apply(models: Sequence[ReadModel], batch: Batch, positions: Sequence[int] | None = None) -> int:
    """Write a batch's rows and the models' positions (one store) in one transaction.

    `positions`, where the models already are: a model ahead of the batch's start gets only
    the events past its own position.
    """
    with models[0].store.transaction() as tx:
        for i, model in enumerate(models):
            own = 0 if positions is None else positions[i]
            if own >= batch.reached:
                continue
            events = batch.events_for(model)
            if events and events[0][1] <= own:
                events = [(event, at) for event, at in events if at > own]
            model.process(tx, events)
            tx.track(model.tracking_name, batch.reached)
    for model in models:
        # The seal publishes its checkpoints outside the database, once they are committed.
        publish = getattr(model, "publish_committed", None)
        if publish is not None:
            publish()
    return batch.reached


def wait_for(model: ReadModel, position: int, timeout: float = 5.0) -> None:
    """Block until the live read model has processed `position` (read-your-writes), or time out.

    Checks grow apart from 2 ms up to 20 ms: a reader learns of its write at most 20 ms after the
    read model has it. (Doubling up to 100 ms, the checks came at 75, 155 and 255 ms, and a write
    read at 80 ms was seen at 155.)
    """
    deadline = time.monotonic() + timeout
    delay = 0.002
    while True:
        if model.live_position() >= position:
            return
        if time.monotonic() >= deadline:
            raise ReadModelTimeoutError(
                f"{model.name} has not reached position {position} within {timeout} s"
            )
        time.sleep(delay)
        delay = min(delay * 1.5, 0.02)


class ProjectionHost:
    """Runs followers in background threads (the embedded default: API process, SQLite)."""

    def __init__(self, followers: list[Follower], poll_interval: float = 0.05) -> None:
        self.followers = followers
        self.poll_interval = poll_interval
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        heartbeats.create_table(self.followers[0].models[0].store)
        for follower in self.followers:
            for model in follower.models:
                model.create_tables()
            thread = threading.Thread(
                target=follower.run,
                args=(self.stopping, self.poll_interval),
                name=f"projection-{follower.names}",
                daemon=True,
            )
            thread.start()
            self.threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout)

    def statuses(self) -> list[Status]:
        return [status for follower in self.followers for status in follower.statuses()]


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
