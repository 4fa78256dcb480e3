"""What every read model is: named tables of one generation, and a handler per event class."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from eventsourcing.utils import get_topic

from store.read_store import ReadStore, Tx

M = TypeVar("M", bound="ReadModel")
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

    def create_tables(self) -> None:
        with self.store.transaction() as tx:
            for table, columns in self.TABLES.items():
                tx.execute(f"CREATE TABLE IF NOT EXISTS {self.t(table)} ({columns})")
            for table, columns in self.INDEXES:
                index = f"{self.t(table)}_by_{columns.replace(', ', '_')}"
                tx.execute(f"CREATE INDEX IF NOT EXISTS {index} ON {self.t(table)} ({columns})")

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
