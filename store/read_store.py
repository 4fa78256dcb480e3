"""Where read models live: the library's tracking recorder and datastore, for PostgreSQL or SQLite.

Read-model SQL is written once: `?` placeholders, portable types (TEXT dates, INTEGER flags).

A read model stores whatever text the log holds. The log keeps any text its JSON can carry, NUL
included, and SQLite's TEXT takes it as it is; PostgreSQL's refuses NUL, so there every text
passed to a read model's SQL is escaped and every text read back unescaped (`to_column`,
`from_column`). Unescaped text is equal to the log's in either store, so a query's `= ?` and
`GROUP BY` give the same answers; before this, one event holding a NUL stopped every read model
for good.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import InfrastructureFactory, Tracking, TrackingRecorder
from eventsourcing.utils import Environment
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Composed, Identifier

GENERATIONS_DDL = (
    "CREATE TABLE IF NOT EXISTS read_model_generations ("
    "name TEXT PRIMARY KEY, generation INTEGER NOT NULL)"
)
# The shape (a digest of its tables' DDL) each generation's tables were created in.
SHAPES_DDL = (
    "CREATE TABLE IF NOT EXISTS read_model_shapes ("
    "tracking_name TEXT PRIMARY KEY, shape TEXT NOT NULL)"
)

# Up to this many rows, one statement each costs less than a pipeline (see Tx.executemany).
FEW_ROWS = 16

# The escape character on PostgreSQL: NUL is stored as ESC "0", ESC itself as ESC ESC. U+FFFF is
# a noncharacter, which no real text holds: text is stored as it is but for hostile input.
ESC = "\uffff"
_ESCAPED = re.compile(ESC + "(.)", re.DOTALL)


def to_column(value: Any) -> Any:
    """A parameter as PostgreSQL's text columns can take it."""
    if type(value) is str and ("\x00" in value or ESC in value):
        return value.replace(ESC, ESC + ESC).replace("\x00", ESC + "0")
    return value


def from_column(value: Any) -> Any:
    """A value read from PostgreSQL as it was given to `to_column`."""
    if type(value) is str and ESC in value:
        return _ESCAPED.sub(_unescaped, value)
    return value


def _unescaped(found: re.Match[str]) -> str:
    return "\x00" if found[1] == "0" else ESC


def _escaped_row(row: Sequence[Any]) -> Sequence[Any]:
    """The row as it is, unless a text in it needs escaping: the check is all a rebuild pays."""
    for value in row:
        if type(value) is str and ("\x00" in value or ESC in value):
            return tuple(map(to_column, row))
    return row


def _unescaped_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    for value in row:
        if type(value) is str and ESC in value:
            return tuple(map(from_column, row))
    return row


class Tx:
    """One read-model transaction: rows and the tracking position commit together."""

    def __init__(self, cursor: Any, recorder: TrackingRecorder, postgres: bool) -> None:
        self._cursor = cursor
        self._recorder = recorder
        self._postgres = postgres

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self._postgres else sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if not self._postgres:
            self._cursor.execute(sql, tuple(params))
            return [tuple(row) for row in self._cursor.fetchall()]
        # The library's cursors make dicts, which fold repeated column names (two SUMs) into one.
        dict_rows = self._cursor.row_factory
        self._cursor.row_factory = tuple_row
        try:
            self._cursor.execute(self._sql(sql), tuple(_escaped_row(params)))
            if not self._cursor.description:
                return []
            return [_unescaped_row(row) for row in self._cursor.fetchall()]
        finally:
            self._cursor.row_factory = dict_rows

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement per row. On PostgreSQL a few rows go one by one: psycopg runs
        `executemany` in pipeline mode, whose wait spins a core for as long as the server works
        (ops/bench/DECISIONS.md)."""
        if not self._postgres:
            if rows:
                self._cursor.executemany(sql, [tuple(r) for r in rows])
            return
        statement = self._sql(sql)
        if len(rows) > FEW_ROWS:
            self._cursor.executemany(statement, [tuple(_escaped_row(r)) for r in rows])
            return
        for row in rows:
            self._cursor.execute(statement, tuple(_escaped_row(row)), prepare=True)

    def insert_rows(self, table: str, rows: Sequence[Sequence[Any]]) -> None:
        """Append rows to a table, every column in order; COPY on PostgreSQL.

        psycopg runs `executemany` in pipeline mode, and its wait for a pipeline's results spins a
        core: COPY sends a batch's rows in one stream instead.
        """
        if not rows:
            return
        if not self._postgres:
            marks = ", ".join("?" * len(rows[0]))
            self._cursor.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
            return
        with self._cursor.copy(f"COPY {table} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(_escaped_row(row))

    def track(self, name: str, position: int) -> None:
        """Record the position reached; refuses (IntegrityError) one that does not advance."""
        self._recorder._insert_tracking(self._cursor, Tracking(name, position))  # type: ignore[attr-defined]


class ReadStore:
    """Transactions and tracking positions on the read models' database."""

    def __init__(self, env: Mapping[str, str]) -> None:
        # The name gives PostgreSQL's tracking table its name: readmodels_tracking.
        environment = Environment(name="ReadModels", env=dict(env))
        self.factory = InfrastructureFactory.construct(environment)
        self.recorder = self.factory.tracking_recorder()
        self.postgres = "postgres" in type(self.recorder).__module__
        self.tracking_table = "readmodels_tracking" if self.postgres else "tracking"
        self._statements: dict[tuple[str, str, str], Composed] = {}
        with self.transaction() as tx:
            tx.execute(GENERATIONS_DDL)
            tx.execute(SHAPES_DDL)

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        datastore = self.factory.datastore  # type: ignore[attr-defined]
        with datastore.transaction(commit=True) as cursor:
            if self.postgres and datastore.schema != "public":
                # Read-model SQL names tables plainly; they belong in the configured schema.
                cursor.execute(
                    SQL("SET LOCAL search_path TO {}").format(Identifier(datastore.schema))
                )
            yield Tx(cursor, self.recorder, self.postgres)

    @contextmanager
    def outside_transaction(self) -> Iterator[Tx]:
        """A connection in autocommit, for statements that refuse to run inside a transaction
        (VACUUM, SQLite's WAL checkpoint). Nothing is tracked through it."""
        datastore = self.factory.datastore  # type: ignore[attr-defined]
        if not self.postgres:
            with datastore.get_connection(commit=True) as conn, conn.cursor() as cursor:
                yield Tx(cursor, self.recorder, self.postgres)
            return
        with datastore.get_connection() as conn, conn.cursor() as cursor:
            # A session setting on a pooled connection: put back before the pool has it again.
            cursor.execute(SQL("SET search_path TO {}").format(Identifier(datastore.schema)))
            try:
                yield Tx(cursor, self.recorder, self.postgres)
            finally:
                cursor.execute("RESET search_path")

    def position(self, tracking_name: str) -> int:
        return self.recorder.max_tracking_id(tracking_name) or 0

    def positions(self, tracking_names: Sequence[str]) -> list[int]:
        """The positions of several tracking names, in one statement (0 for one not yet seen)."""
        marks = ", ".join("?" * len(tracking_names))
        rows = self._select(
            "application_name, MAX(notification_id)",
            self.tracking_table,
            f"WHERE application_name IN ({marks}) GROUP BY application_name",
            tracking_names,
        )
        found = dict(rows)
        return [int(found.get(name) or 0) for name in tracking_names]

    def generations(self) -> dict[str, int]:
        """The live generation of every read model that has been rebuilt at least once."""
        rows = self._select("name, generation", "read_model_generations")
        return {name: int(generation) for name, generation in rows}

    def generation(self, name: str) -> int:
        """The live generation of a read model's tables (a rebuild makes the next one)."""
        rows = self._select("generation", "read_model_generations", "WHERE name = ?", (name,))
        return int(rows[0][0]) if rows else 0

    def _select(
        self, columns: str, table: str, rest: str = "", params: Sequence[Any] = ()
    ) -> list[tuple[Any, ...]]:
        """One SELECT, outside a transaction on PostgreSQL: followers and read-your-writes
        checks ask often, and BEGIN and COMMIT were two of its three round trips."""
        if not self.postgres:
            with self.transaction() as tx:
                return tx.execute(f"SELECT {columns} FROM {table} {rest}", params)
        datastore = self.factory.datastore  # type: ignore[attr-defined]
        # Composed once per shape: a read-your-writes check asks every few milliseconds.
        shape = (columns, table, rest)
        if shape not in self._statements:
            self._statements[shape] = SQL("SELECT {} FROM {}.{} {}").format(
                SQL(columns),  # written in this module, never input
                Identifier(datastore.schema),
                Identifier(table),
                SQL(rest.replace("?", "%s")),
            )
        statement = self._statements[shape]
        with datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as cursor:
            cursor.execute(statement, tuple(params), prepare=True)
            return list(cursor.fetchall())

    def forget(self, tx: Tx, tracking_name: str) -> None:
        """Remove the tracking row and the shape of a generation that was dropped."""
        tx.execute(
            f"DELETE FROM {self.tracking_table} WHERE application_name = ?", (tracking_name,)
        )
        tx.execute("DELETE FROM read_model_shapes WHERE tracking_name = ?", (tracking_name,))

    def shape_of(self, tx: Tx, tracking_name: str) -> str | None:
        """The shape a generation's tables were created in, locked until the transaction ends
        (None: not recorded). Processes starting together wait here for each other."""
        if self.postgres:
            tx.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (tracking_name,))
        rows = tx.execute(
            "SELECT shape FROM read_model_shapes WHERE tracking_name = ?", (tracking_name,)
        )
        return str(rows[0][0]) if rows else None

    def record_shape(self, tx: Tx, tracking_name: str, shape: str) -> None:
        tx.execute(
            "INSERT INTO read_model_shapes VALUES (?, ?) ON CONFLICT (tracking_name)"
            " DO UPDATE SET shape = excluded.shape",
            (tracking_name, shape),
        )

    def tracked(self, tx: Tx, tracking_name: str) -> bool:
        """Whether a generation has recorded any position, inside the transaction."""
        rows = tx.execute(
            f"SELECT 1 FROM {self.tracking_table} WHERE application_name = ?", (tracking_name,)
        )
        return bool(rows)

    def close(self) -> None:
        self.factory.close()
