"""Rebuilding a read model from the whole log beside the live one, then switching to it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from eventsourcing.application import Application

from projections.model import ReadModel
from projections.runner import Follower
from projections.store import ReadStore

REBUILD_BATCH = 2000


@dataclass(frozen=True)
class RebuildReport:
    name: str
    generation: int
    position: int
    seconds: float

    @property
    def events_per_second(self) -> float:
        return self.position / self.seconds if self.seconds else 0.0


def rebuild(
    ledger: Application[Any],
    store: ReadStore,
    model_class: type[ReadModel],
    batch: int = REBUILD_BATCH,
) -> RebuildReport:
    """Fill a new generation from position 0 while queries keep reading the live one, then switch.

    The live follower notices the switch at its next batch and carries on from the new generation's
    position; the old generation's tables are dropped in the switching transaction.
    """
    live = store.generation(model_class.name)
    fresh = model_class(store, generation=live + 1)
    with store.transaction() as tx:
        fresh.drop_tables(tx)  # left over from a rebuild that was interrupted
        store.forget(tx, fresh.tracking_name)
    fresh.create_tables()
    started = time.perf_counter()
    follower = Follower(ledger, fresh, batch_size=batch, follow_switches=False)
    follower.catch_up()
    seconds = time.perf_counter() - started
    old = model_class(store, generation=live)
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO read_model_generations VALUES (?, ?) ON CONFLICT (name)"
            " DO UPDATE SET generation = excluded.generation",
            (model_class.name, fresh.generation),
        )
        old.drop_tables(tx)
        store.forget(tx, old.tracking_name)
    return RebuildReport(model_class.name, fresh.generation, fresh.position(), seconds)
