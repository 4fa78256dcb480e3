"""Following the log into read models, a batch at a time: rows and position in one transaction."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import Notification

from projections import heartbeats
from projections.model import ReadModel
from projections.status import Status

DEFAULT_BATCH = 500


class Follower:
    """Feeds the log, in order and in batches, to one read model or several.

    Only the models' own topics are read (filtered in SQL). The position recorded after a batch
    is the log head the batch was read up to: commits are in log order (the store's table lock),
    so nothing at or below a visible head can still appear.

    Several models (one store) share one reader: the log is read and decoded once, and every
    model writes its rows and position in the batch's one transaction: a process per model woke
    for every commit and read the log again (ops/bench/DECISIONS.md). The price: a model that
    fails stops the others with it.
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
        steady load the head had always moved, and the models read a few events at a time
        (ops/bench/DECISIONS.md).

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
    PostgreSQL planned a sort of the whole rest of the log for every batch
    (ops/bench/DECISIONS.md).
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
