"""The ledger's SQLite recorder: the library's, the log position of one stored event, and many
short streams read in one query."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder

# Streams read per statement: SQLite allows 32,766 parameters, older builds 999.
STREAMS_PER_STATEMENT = 500


class LedgerSQLiteRecorder(SQLiteApplicationRecorder):
    """An event's log position is its row id in the library's table."""

    def position_of(self, originator_id: UUID, version: int) -> int | None:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT rowid FROM {self.events_table_name}"
                " WHERE originator_id = ? AND originator_version = ?",
                (originator_id.hex, version),
            )
            row = cursor.fetchone()
        return int(row[0]) if row else None

    def select_streams(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        """Every event of the streams, stream by stream in version order."""
        ids = [originator_id.hex for originator_id in originator_ids]
        found: list[StoredEvent] = []
        with self.datastore.transaction(commit=False) as cursor:
            for start in range(0, len(ids), STREAMS_PER_STATEMENT):
                chunk = ids[start : start + STREAMS_PER_STATEMENT]
                cursor.execute(
                    "SELECT originator_id, originator_version, topic, state"
                    f" FROM {self.events_table_name}"
                    f" WHERE originator_id IN ({', '.join('?' * len(chunk))})"
                    " ORDER BY originator_id, originator_version",
                    chunk,
                )
                found += [
                    StoredEvent(
                        originator_id=self.convert_originator_id(row["originator_id"]),
                        originator_version=row["originator_version"],
                        topic=row["topic"],
                        state=row["state"],
                    )
                    for row in cursor.fetchall()
                ]
        return found
