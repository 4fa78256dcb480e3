"""The aggregates this process saved last, so a command can decide without reading the store.

Reading the store first costs a round trip (ops/bench/DECISIONS.md). Deciding on what this
process saved is safe for an aggregate the command saves again: if another process wrote to it
meanwhile, the new events take versions that are already stored and the save is refused, and the
command is decided again on the store's state. A command refused by a rule on this state is also
decided again on the store's state, since the state may be out of date (a bed freed elsewhere).
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Iterable
from functools import partial
from typing import Any
from uuid import UUID

from eventsourcing.application import Repository

from domain.base import LedgerAggregate
from store import cooperative


class RecentAggregates:
    """Aggregates as last saved here, at most `size`.

    A command takes the one it will change (`take`: no copy, and nobody else gets it meanwhile)
    and, once it is saved, hands it back (`remember(..., owned=True)`): copying instead costs
    every command (ops/bench/DECISIONS.md).
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._saved: OrderedDict[UUID, LedgerAggregate] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, aggregate_id: UUID) -> LedgerAggregate | None:
        """The kept aggregate, now the caller's to change: it is kept no more until remembered."""
        with self._lock:
            return self._saved.pop(aggregate_id, None)

    def peek(self, aggregate_id: UUID) -> LedgerAggregate | None:
        """The kept aggregate itself, only to read what never changes (an episode's program)."""
        with self._lock:
            return self._saved.get(aggregate_id)

    def remember(self, aggregates: Iterable[LedgerAggregate], *, owned: bool = False) -> None:
        """Keep what was just saved, unless a later version of it is kept already.

        `owned`: the caller will not touch these objects again, so they are kept as they are.
        Otherwise copies are kept, made before taking the lock that every command passes.
        """
        if not self.size:
            return
        keeping = [a if owned else copy.deepcopy(a) for a in aggregates if a.remembered]
        with self._lock:
            for aggregate in keeping:
                kept = self._saved.get(aggregate.id)
                if kept is None or kept.version < aggregate.version:
                    self._saved[aggregate.id] = aggregate
                    self._saved.move_to_end(aggregate.id)
            while len(self._saved) > self.size:
                self._saved.popitem(last=False)

    def forget(self, aggregate_ids: Iterable[UUID]) -> None:
        with self._lock:
            for aggregate_id in aggregate_ids:
                self._saved.pop(aggregate_id, None)


class CopyingRepository(Repository[UUID]):
    """The library's repository, copying a cached aggregate only while nobody updates it.

    The library brings a cached aggregate up to date from the store under a lock, but copies it
    for the caller after letting go of that lock: readers of one facility at once (the losers
    of a bed race) copied it while another reader added a stay to it, and failed with
    "dictionary changed size during iteration", or could have got a copy half old, half new.
    Here reading and copying hold one lock per aggregate (one of `STRIPES`, by its id).

    A command on the event loop pauses for every read (store/cooperative.py), `in` included:
    the library's `__contains__` reads the aggregate."""

    STRIPES = 64

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stripes = [threading.Lock() for _ in range(self.STRIPES)]

    @classmethod
    def like(cls, library: Repository[UUID]) -> CopyingRepository:
        """One with the settings and the cache of the library's own."""
        repository = cls(
            library.event_store,
            snapshot_store=library.snapshot_store,
            fastforward=library.fastforward,
            fastforward_skipping=library.fastforward_skipping,
            deepcopy_from_cache=library.deepcopy_from_cache,
        )
        repository.cache = library.cache
        return repository

    def get(self, aggregate_id: UUID, *, version: int | None = None, **kwargs: Any) -> Any:
        return cooperative.blocking(partial(self._get, aggregate_id, version=version, **kwargs))

    def _get(self, aggregate_id: UUID, *, version: int | None, **kwargs: Any) -> Any:
        if self.cache is None or version is not None:  # nothing shared: built for this caller
            return super().get(aggregate_id, version=version, **kwargs)
        with self._stripes[aggregate_id.int % self.STRIPES]:
            return super().get(aggregate_id, **kwargs)
