"""Who read whose personal data or history, when, and why: kept for admins and auditors."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from domain.sealing import KeyRing
from store.read_store import ReadStore
from store.sealing import MemoryKeyRing, open_text, seal_text

ACCESS_DDL = (
    "CREATE TABLE IF NOT EXISTS access_log ("
    "record_id TEXT PRIMARY KEY, at TEXT NOT NULL, subject TEXT NOT NULL, role TEXT NOT NULL,"
    " participant_id TEXT NOT NULL, what TEXT NOT NULL, unmasked INTEGER NOT NULL,"
    " reason TEXT, request_id TEXT NOT NULL)"
)


@dataclass(frozen=True)
class AccessRecord:
    at: str
    subject: str
    role: str
    participant_id: str
    what: str
    unmasked: bool
    reason: str | None
    request_id: str


class AccessLog:
    """Append-only records of reads, written before the answer leaves (no record, no answer).

    The reader's reason is free text that may name the person: it is sealed with the person's
    key, and reads as erased once they are.
    """

    def __init__(self, store: ReadStore, keyring: KeyRing | None = None) -> None:
        self.store = store
        self.keyring: KeyRing = keyring or MemoryKeyRing()
        with store.transaction() as tx:
            tx.execute(ACCESS_DDL)
            tx.execute(
                "CREATE INDEX IF NOT EXISTS access_log_by_participant"
                " ON access_log (participant_id, at)"
            )

    def record(
        self, *, subject: str, role: str, participant_id: UUID, what: str, unmasked: bool,
        reason: str | None, request_id: str,
    ) -> None:  # fmt: skip
        self.record_many(
            subject=subject, role=role, read=[(participant_id, unmasked)], what=what,
            reason=reason, request_id=request_id,
        )  # fmt: skip

    def record_many(
        self, *, subject: str, role: str, read: list[tuple[UUID, bool]], what: str,
        reason: str | None, request_id: str,
    ) -> None:  # fmt: skip
        """One request's reads of several people (a search's hits), in one transaction:
        `read` holds each person and whether their data was shown unmasked."""
        at = datetime.now(UTC).isoformat()
        rows = []
        for participant_id, unmasked in read:
            sealed = None if reason is None else seal_text(self.keyring, participant_id, reason)
            rows.append(
                (
                    uuid.uuid4().hex, at, subject, role, str(participant_id), what,
                    int(unmasked), sealed, request_id,
                )
            )  # fmt: skip
        with self.store.transaction() as tx:
            tx.insert_rows("access_log", rows)

    def of(self, participant_id: UUID) -> list[AccessRecord]:
        with self.store.transaction() as tx:
            rows = tx.execute(
                "SELECT at, subject, role, participant_id, what, unmasked, reason, request_id"
                " FROM access_log WHERE participant_id = ? ORDER BY at, record_id",
                (str(participant_id),),
            )
        return [
            AccessRecord(
                at, sub, role, pid, what, bool(unmasked),
                open_text(self.keyring, participant_id, reason) if reason is not None else None,
                rid,
            )
            for at, sub, role, pid, what, unmasked, reason, rid in rows
        ]  # fmt: skip
