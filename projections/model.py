"""What every read model is: named tables of one generation, and a handler per event class."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from eventsourcing.utils import get_topic

from store.read_store import ReadStore, Tx

M = TypeVar("M", bound="ReadModel")
logger = logging.getLogger(__name__)
Handler = Callable[[Any, Tx, Any, int], None]


def recorded_at(moment: datetime) -> str:
    """A recorded time as sortable text (UTC, microseconds): "as known at" compares these."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


LATEST = "9999-12-31T23:59:59.999999Z"  # "as known at" for a report of now


def handles(*event_classes: type) -> Callable[[Handler], Handler]:
    """Mark a method as the handler of these event classes."""

    def mark(method: Handler) -> Handler:
        method.handled_event_classes = event_classes  # type: ignore[attr-defined]
        return method

    return mark


@dataclass(frozen=True)
class Reading:
    """A query's view of one read model: transaction, tables, and the log position they reflect."""

    tx: Tx
    generation: int
    model: str
    position: int

    def t(self, table: str) -> str:
        return f"{self.model}_g{self.generation}_{table}"


class ReadModel:
    """A read model: `TABLES` (name -> column DDL), `@handles` methods, and its queries.

    Tables are named `<model>_g<generation>_<table>`: a rebuild fills a new generation beside the
    live one and then switches, so queries never see a half-built model.
    """

    name: ClassVar[str]
    # A raw model gets stored notifications (bytes), every topic, instead of decoded events.
    RAW: ClassVar[bool] = False
    # Tables of an earlier shape are dropped and the log replayed into new ones; not for a model
    # whose rows are more than the log says (signed checkpoints are evidence given out).
    REPLAYED_WHEN_RESHAPED: ClassVar[bool] = True
    TABLES: ClassVar[dict[str, str]]
    # (table, columns): secondary indexes the queries need.
    INDEXES: ClassVar[Sequence[tuple[str, str]]] = ()
    _handlers: ClassVar[dict[type, Handler]]
    # The topics of the handled event classes (none: a raw model, which takes every topic).
    TOPICS: ClassVar[frozenset[str]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._handlers = {  # a subclass keeps its bases' handlers
            **getattr(super(cls, cls), "_handlers", {}),
            **{
                event_class: method
                for method in vars(cls).values()
                for event_class in getattr(method, "handled_event_classes", ())
            },
        }
        cls.TOPICS = frozenset(get_topic(event_class) for event_class in cls._handlers)

    def __init__(self, store: ReadStore, generation: int | None = None) -> None:
        self.store = store
        self.generation = store.generation(self.name) if generation is None else generation

    @classmethod
    def topics(cls) -> list[str]:
        return sorted(cls.TOPICS)

    @property
    def tracking_name(self) -> str:
        return f"{self.name}@{self.generation}"

    def t(self, table: str) -> str:
        """The table's name in this generation."""
        return f"{self.name}_g{self.generation}_{table}"

    @classmethod
    def shape(cls) -> str:
        """A digest of the tables' DDL: when a new version of the code changes it, the tables
        are made again and the model replays the log into them (`create_tables`)."""
        ddl = json.dumps([cls.TABLES, [list(index) for index in cls.INDEXES]], sort_keys=True)
        return hashlib.sha256(ddl.encode()).hexdigest()[:16]

    def create_tables(self) -> None:
        """Create this generation's tables; ones of another shape (made by an earlier version of
        the code, or before shapes were recorded) are dropped first and replayed from the start."""
        with self.store.transaction() as tx:
            recorded = self.store.shape_of(tx, self.tracking_name)
            if (
                self.REPLAYED_WHEN_RESHAPED
                and recorded != self.shape()
                and (recorded is not None or self.store.tracked(tx, self.tracking_name))
            ):
                logger.warning(
                    "read model %s: its tables are of an earlier shape; replaying the log into"
                    " new ones",
                    self.tracking_name,
                )
                self.drop_tables(tx)
                self.store.forget(tx, self.tracking_name)
            for table, columns in self.TABLES.items():
                tx.execute(f"CREATE TABLE IF NOT EXISTS {self.t(table)} ({columns})")
            for table, columns in self.INDEXES:
                index = f"{self.t(table)}_by_{columns.replace(', ', '_')}"
                tx.execute(f"CREATE INDEX IF NOT EXISTS {index} ON {self.t(table)} ({columns})")
            self.store.record_shape(tx, self.tracking_name, self.shape())

    def drop_tables(self, tx: Tx) -> None:
        for table in self.TABLES:
            tx.execute(f"DROP TABLE IF EXISTS {self.t(table)}")

    def process(self, tx: Tx, events: Sequence[tuple[Any, int]]) -> None:
        """Apply a batch of (event, position); the caller records the tracking position."""
        for event, position in events:
            handler = self._handlers.get(type(event))
            if handler is not None:
                handler(self, tx, event, position)
        self.flush(tx)

    def flush(self, tx: Tx) -> None:
        """Write what a handler gathered over the batch (for models that aggregate in memory)."""

    def renewed(self: M) -> M:
        """A new instance on the live generation, with nothing gathered in memory."""
        return type(self)(self.store)

    def live_generation(self) -> int:
        return self.store.generation(self.name)

    def follow_switch(self, live: int | None = None) -> None:
        """Point at the live generation (a rebuild may have switched it): `live`, if known."""
        self.generation = self.live_generation() if live is None else live

    def position(self) -> int:
        return self.store.position(self.tracking_name)

    def live_position(self) -> int:
        """The position of the live generation, without moving this instance to it."""
        return self.store.position(f"{self.name}@{self.store.generation(self.name)}")

    @contextmanager
    def reading(self) -> Iterator[Reading]:
        """Open a query on the live generation, whichever it is at this moment."""
        with self.store.transaction() as tx:
            rows = tx.execute(
                "SELECT generation FROM read_model_generations WHERE name = ?", (self.name,)
            )
            generation = int(rows[0][0]) if rows else 0
            tracked = tx.execute(
                f"SELECT notification_id FROM {self.store.tracking_table}"
                " WHERE application_name = ?",
                (f"{self.name}@{generation}",),
            )
            yield Reading(tx, generation, self.name, int(tracked[0][0]) if tracked else 0)
