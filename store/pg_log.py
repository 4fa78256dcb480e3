"""The ledger's PostgreSQL recorder: the library's, reading the log a page at a time faster.

Every reader of the log pages through it: read-model followers, a rebuild (the whole log), the
seal chain. The library's select builds a dict per row and copies each state; asking for tuples
of exactly the five columns is faster (ops/bench/DECISIONS.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from eventsourcing.persistence import Notification, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Composed, Identifier

_new, _set = object.__new__, object.__setattr__

SELECT = (
    "SELECT notification_id, originator_id, originator_version, topic, state"
    " FROM {schema}.{table} WHERE notification_id {after} %s"
)


class LedgerRecorder(PostgresApplicationRecorder):
    """`select_notifications` with the library's arguments and answers, in tuples; the log
    position of one stored event (an idempotent replay answers the first answer's position);
    and many short streams read in one query."""

    def select_streams(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        """Every event of the streams, stream by stream in version order."""
        statement = SQL(
            "SELECT originator_id, originator_version, topic, state FROM {schema}.{table}"
            " WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version"
        ).format(schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name))
        with (
            self.datastore.get_connection() as conn,
            conn.cursor(row_factory=tuple_row, binary=True) as curs,
        ):
            curs.execute(statement, (list(originator_ids),), prepare=True)
            return [StoredEvent(*row) for row in curs.fetchall()]

    def position_of(self, originator_id: UUID, version: int) -> int | None:
        statement = SQL(
            "SELECT notification_id FROM {schema}.{table}"
            " WHERE originator_id = %s AND originator_version = %s"
        ).format(schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name))
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(statement, (originator_id, version))
            row = curs.fetchone()
        return int(row[0]) if row else None

    def _select(self, inclusive_of_start: bool, stop: bool, topics: bool) -> Composed:
        statement = SQL(SELECT).format(
            schema=Identifier(self.datastore.schema),
            table=Identifier(self.events_table_name),
            after=SQL(">=" if inclusive_of_start else ">"),
        )
        if stop:
            statement += SQL(" AND notification_id <= %s")
        if topics:
            statement += SQL(" AND topic = ANY(%s)")
        return statement + SQL(" ORDER BY notification_id LIMIT %s")

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        params: list[object] = [start if start is not None else 0]
        if stop is not None:
            params.append(stop)
        if topics:
            params.append(list(topics))
        params.append(limit)
        statement = self._select(inclusive_of_start, stop is not None, bool(topics))
        # Binary results: a state arrives as bytes, not as hex to decode, and an id as 16 bytes.
        with (
            self.datastore.get_connection() as conn,
            conn.cursor(row_factory=tuple_row, binary=True) as curs,
        ):
            curs.execute(statement, params, prepare=True)
            return [
                _notification(position, originator_id, version, topic, state)
                for position, originator_id, version, topic, state in curs.fetchall()
            ]


def _notification(
    position: int, originator_id: UUID, version: int, topic: str, state: bytes
) -> Notification:
    """A Notification made as the library makes a domain event, by setting its `__dict__`: the
    frozen dataclass's `__init__` guards every field (ops/bench/DECISIONS.md)."""
    notification = _new(Notification)
    _set(
        notification,
        "__dict__",
        {
            "originator_id": originator_id,
            "originator_version": version,
            "topic": topic,
            "state": state,
            "id": position,
        },
    )
    return notification
