"""The ledger's SQLite recorder: the library's, and the log position of one stored event."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.sqlite import SQLiteApplicationRecorder


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
