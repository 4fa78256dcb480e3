"""The group committer's write on PostgreSQL: lock, notify and insert in one round trip;
and the wake-up of a follower on that notify.

The library's own insert sends its statements in pipeline mode, and psycopg waits for a pipeline's
results by polling the socket for reading *or writing*: the socket is always writable, so the
waiting thread spins a core for as long as the commit takes (ops/bench/DECISIONS.md). One
function call in autocommit mode does the same work, keeps the same table lock (so commit order
stays log order: followers never skip an event) and waits on the socket like any query.

The library also ships a database function for inserts, but it skips the table lock: never that.
"""

from __future__ import annotations

from collections.abc import Sequence

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier, Literal

from store.committer import Insert
from store.pg_arrays import BigintArray, ByteaArray, TextArray, UuidArray

FUNCTION = "ledger_append"

CREATE = """
CREATE OR REPLACE FUNCTION {schema}.{function}(
    ids uuid[], versions bigint[], topics text[], states bytea[]
) RETURNS SETOF bigint
LANGUAGE plpgsql AS $body$
BEGIN
    PERFORM set_config('lock_timeout', {lock_timeout}, true);
    LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE;
    PERFORM pg_notify({channel}, '');
    -- The positions, in the order of the arrays.
    RETURN QUERY
        WITH stored AS (
            INSERT INTO {schema}.{table} AS t (originator_id, originator_version, topic, state)
            SELECT * FROM unnest(ids, versions, topics, states)
            RETURNING t.originator_id, t.originator_version, t.notification_id
        )
        SELECT stored.notification_id
        FROM unnest(ids, versions) WITH ORDINALITY AS given (id, version, n)
        JOIN stored ON stored.originator_id = given.id AND stored.originator_version = given.version
        ORDER BY given.n;
END
$body$
"""


def one_trip_insert(recorder: PostgresApplicationRecorder, *, made: bool = False) -> Insert:
    """Create the append function (unless it was `made` already) and return the insert that
    calls it.

    Call it holding `bootstrap.schema_turn`: processes starting together must not create the
    function at the same moment ("tuple concurrently updated").
    """
    datastore = recorder.datastore
    schema = Identifier(datastore.schema)
    create = SQL(CREATE).format(
        schema=schema,
        function=Identifier(FUNCTION),
        table=Identifier(recorder.events_table_name),
        lock_timeout=Literal(f"{datastore.lock_timeout}s"),
        channel=Literal(recorder.channel_name),
    )
    if not made:
        with datastore.transaction(commit=True) as curs:
            curs.execute(create)
    # Four arrays rather than one of a composite type, in binary (see store/pg_arrays.py).
    call = (
        SQL("SELECT * FROM {schema}.{function}(%b, %b, %b, %b)")
        .format(schema=schema, function=Identifier(FUNCTION))
        .as_bytes(None)
    )

    def insert(stored_events: Sequence[StoredEvent]) -> Sequence[int]:
        if not stored_events:
            return []
        arrays = (
            UuidArray.of([e.originator_id for e in stored_events]),
            BigintArray.of([e.originator_version for e in stored_events]),
            TextArray.of([e.topic for e in stored_events]),
            ByteaArray.of([e.state for e in stored_events]),
        )
        with datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(call, arrays, prepare=True)
            return [position for (position,) in curs.fetchall()]

    return insert


class Wakeup:
    """Waits for the NOTIFY of the next write to the event table (a follower's cue).

    Holds one connection of the store's pool, listening, until closed.
    """

    def __init__(self, recorder: PostgresApplicationRecorder) -> None:
        self._pool = recorder.datastore.pool
        self._conn = self._pool.getconn()
        self._channel = Identifier(recorder.channel_name)
        self._conn.execute(SQL("LISTEN {}").format(self._channel))

    def __call__(self, timeout: float) -> None:
        """Return at the next write, or after `timeout` seconds; drain what else arrived."""
        for _ in self._conn.notifies(timeout=timeout, stop_after=1):
            pass
        for _ in self._conn.notifies(timeout=0):
            pass

    def close(self) -> None:
        self._conn.execute(SQL("UNLISTEN {}").format(self._channel))
        self._pool.putconn(self._conn)
