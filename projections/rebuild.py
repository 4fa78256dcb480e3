"""Rebuilding read models from the whole log beside the live ones, then switching to them."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from eventsourcing.application import Application

from projections.model import ReadModel
from projections.runner import feed
from projections.store import ReadStore

REBUILD_BATCH = 5000


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


def rebuild(
    ledger: Application[Any],
    store: ReadStore,
    *model_classes: type[ReadModel],
    batch: int = REBUILD_BATCH,
) -> RebuildReport:
    """Fill new generations from position 0 while queries keep reading the live ones, then switch.

    The log is read and decoded once for all the models, and each batch writes every model's rows
    and positions in one transaction. A live follower notices the switch at its next batch and
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
    position = 0
    while (head := ledger.recorder.max_notification_id() or 0) > position:
        position = feed(ledger, fresh, position, head, batch)
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
