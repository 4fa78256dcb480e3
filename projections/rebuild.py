"""Rebuilding read models from the whole log beside the live ones, then switching to them."""

from __future__ import annotations

import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from eventsourcing.application import Application

from projections.follower import apply, read
from projections.model import ReadModel
from store.read_store import ReadStore

REBUILD_BATCH = 5000
# Batches read ahead of the slowest writer: enough to keep both cores busy, bounded in memory.
IN_FLIGHT = 3


@dataclass(frozen=True)
class RebuildReport:
    names: tuple[str, ...]
    generations: tuple[int, ...]
    position: int
    seconds: float

    @property
    def events_per_second(self) -> float:
        """Log positions covered a second (every model was fed the whole log in one pass)."""
        return self.position / self.seconds if self.seconds else 0.0


def _replay(ledger: Application[Any], models: list[ReadModel], batch: int, postgres: bool) -> int:
    """Feed the whole log to the models; the next batch is read while the last one is written.

    On PostgreSQL each model writes in a thread and a transaction of its own (its rows and its
    position together, as always): while one waits for the server to take its rows, the others
    and the reader use the time. SQLite takes one writer at a time, so there one thread writes
    every model.
    """
    groups = [[model] for model in models] if postgres else [models]
    writers = [ThreadPoolExecutor(1, thread_name_prefix="rebuild") for _ in groups]
    position, writing = 0, deque[list[Future[int]]]()
    try:
        while (head := ledger.recorder.max_notification_id() or 0) > position:
            batch_read = read(ledger, models, position, head, batch)
            while len(writing) >= IN_FLIGHT:
                for done in writing.popleft():
                    done.result()
            writing.append(
                [w.submit(apply, g, batch_read) for w, g in zip(writers, groups, strict=True)]
            )
            position = batch_read.reached
        for batch_written in writing:
            for done in batch_written:
                done.result()
    finally:
        for writer in writers:
            writer.shutdown(cancel_futures=True)
    return position


def rebuild(
    ledger: Application[Any],
    store: ReadStore,
    *model_classes: type[ReadModel],
    batch: int = REBUILD_BATCH,
) -> RebuildReport:
    """Fill new generations from position 0 while queries keep reading the live ones, then switch.

    The log is read and decoded once for all the models; each model writes a batch's rows and its
    position in one transaction. A live follower notices the switch at its next batch and
    carries on from the new generation's position; the old tables are dropped in the switch.
    """
    live = [store.generation(cls.name) for cls in model_classes]
    fresh = [cls(store, generation=g + 1) for cls, g in zip(model_classes, live, strict=True)]
    with store.transaction() as tx:
        for model in fresh:
            model.drop_tables(tx)  # left over from a rebuild that was interrupted
            store.forget(tx, model.tracking_name)
    for model in fresh:
        model.create_tables()
    started = time.perf_counter()
    position = _replay(ledger, fresh, batch, store.postgres)
    seconds = time.perf_counter() - started
    with store.transaction() as tx:
        for cls, generation, model in zip(model_classes, live, fresh, strict=True):
            tx.execute(
                "INSERT INTO read_model_generations VALUES (?, ?) ON CONFLICT (name)"
                " DO UPDATE SET generation = excluded.generation",
                (cls.name, model.generation),
            )
            old = cls(store, generation=generation)
            old.drop_tables(tx)
            store.forget(tx, old.tracking_name)
    return RebuildReport(
        tuple(cls.name for cls in model_classes),
        tuple(model.generation for model in fresh),
        position,
        seconds,
    )
