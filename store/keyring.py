"""Each person's data key, wrapped by the key-encryption key, in a table apart from the events."""

from __future__ import annotations

import base64
import sqlite3
import threading
import time
from collections.abc import Iterable
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import psycopg
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from store import cooperative
from store.read_store import ReadStore, Tx

KEYS_DDL = (
    "CREATE TABLE IF NOT EXISTS personal_data_keys ("
    "stream_id TEXT PRIMARY KEY, wrapped TEXT NOT NULL)"
)
# Other processes may destroy a key: a cached one is trusted this long.
CACHE_SECONDS = 30.0
# What a destroyed key's row holds: no key, and a refusal to make another for the same person
# (a reader's sealed reason, a late command, a restored copy re-erased must not revive one).
DESTROYED = ""
# An erasure waits for readers of the store, or for transactions older than it, this many times
# (each up to the store's lock timeout) before it gives up and says the erasure is incomplete.
PURGE_ATTEMPTS = 3
# The key of the blind index of people (store/person_index.py): a row of the ring like a
# person's, wrapped under the key-encryption key, and never destroyed.
BLIND_INDEX_KEY_ID = uuid5(NAMESPACE_URL, "urn:ledger:blind-index-key")


class KeyNotDestroyedError(Exception):
    """The key's row is gone, but the store's files may still hold its bytes: erasure incomplete.

    Destroying the same keys again (the erase command repeated with its Idempotency-Key, or
    `ledger erasures reapply`) finishes the job once the store is free.
    """


class SqlKeyRing:
    """Keys wrapped with AES-GCM under the key-encryption key; unwrapped ones cached briefly."""

    def __init__(self, store: ReadStore, key_encryption_key: bytes) -> None:
        self.store = store
        self.kek = AESGCM(key_encryption_key)
        self._cache: dict[UUID, tuple[bytes, float]] = {}
        self._lock = threading.Lock()
        # Tables rewritten with the keys on an erasure: what else holds a person's traces.
        self.rewritten = ["personal_data_keys"]
        with store.transaction() as tx:
            tx.execute(KEYS_DDL)
            if store.postgres:
                keep_out_of_statistics(tx, "personal_data_keys", "wrapped")

    def also_rewrite(self, table: str) -> None:
        """Rewrite this table of the key store too when keys are destroyed (on PostgreSQL; on
        SQLite the whole file is): rows deleted from it before leave no bytes behind."""
        if table not in self.rewritten:
            self.rewritten.append(table)

    def key_for(self, stream_id: UUID, *, create: bool) -> bytes | None:
        return self.keys_for([stream_id], create=create)[stream_id]

    def keys_for(self, stream_ids: Iterable[UUID], *, create: bool) -> dict[UUID, bytes | None]:
        """Many streams' keys, those not cached read (and made, if `create`) in one transaction."""
        wanted = list(dict.fromkeys(stream_ids))
        now = time.monotonic()
        with self._lock:
            cached = {s: self._cache.get(s) for s in wanted}
        found = {s: c[0] for s, c in cached.items() if c and now - c[1] < CACHE_SECONDS}
        missing = [s for s in wanted if s not in found]
        if missing:
            # On the event loop, a command pauses here rather than holding the loop up.
            stored = cooperative.blocking(self._stored, missing, create)
            unwrapped = {
                s: self._unwrap(s, stored[s])
                for s in missing
                if stored.get(s, DESTROYED) != DESTROYED
            }
            with self._lock:
                for s, key in unwrapped.items():
                    self._cache[s] = (key, now)
            found.update(unwrapped)
        return {s: found.get(s) for s in wanted}

    def _stored(self, stream_ids: list[UUID], create: bool) -> dict[UUID, str]:
        """The wrapped keys' rows, those missing made first if asked to."""
        ids = [str(s) for s in stream_ids]
        select = "SELECT stream_id, wrapped FROM personal_data_keys WHERE stream_id IN ({})"
        with self.store.transaction() as tx:
            rows = _select_in(tx, select, ids)
            if create and len(rows) < len(ids):
                have = {row[0] for row in rows}
                made = [
                    (s, self._wrap(UUID(s), AESGCM.generate_key(bit_length=256)))
                    for s in ids
                    if s not in have
                ]
                tx.executemany(
                    "INSERT INTO personal_data_keys VALUES (?, ?)"
                    " ON CONFLICT (stream_id) DO NOTHING",
                    made,
                )
                rows = _select_in(tx, select, ids)  # a racing maker's key, where it won
        return {UUID(stream_id): wrapped for stream_id, wrapped in rows}

    def destroy(self, stream_id: UUID) -> None:
        self.destroy_all([stream_id])

    def destroy_all(self, stream_ids: Iterable[UUID]) -> None:
        """Delete the keys, then rewrite the store until no file of it holds their bytes.

        A deleted row stays readable in the files: in SQLite's WAL and in freed space of its
        pages; in PostgreSQL's page as a dead tuple, even after a plain VACUUM (it moves the
        live tuples but leaves the freed space as it was). Raises KeyNotDestroyedError if the
        store could not be rewritten; the rows are deleted either way.
        """
        doomed = list(stream_ids)
        with self._lock:
            for stream_id in doomed:
                self._cache.pop(stream_id, None)
        # Seconds of work, or of waiting for readers: on the event loop, the command pauses.
        cooperative.blocking(self._delete_and_rewrite, doomed)

    def _delete_and_rewrite(self, doomed: list[UUID]) -> None:
        with self.store.transaction() as tx:
            tx.executemany(
                "DELETE FROM personal_data_keys WHERE stream_id = ?", [(str(s),) for s in doomed]
            )
            tx.executemany(
                "INSERT INTO personal_data_keys VALUES (?, ?)",
                [(str(s), DESTROYED) for s in doomed],
            )
            deleted_by = (
                str(tx.execute("SELECT pg_current_xact_id()::xid")[0][0])
                if self.store.postgres
                else ""
            )
        if self.store.postgres:
            _rewrite_postgres(self.store, deleted_by, self.rewritten)
        else:
            _rewrite_sqlite(self.store)

    def _wrap(self, stream_id: UUID, key: bytes) -> str:
        nonce = AESGCM.generate_key(bit_length=128)[:12]
        return base64.b64encode(nonce + self.kek.encrypt(nonce, key, stream_id.bytes)).decode()

    def _unwrap(self, stream_id: UUID, wrapped: str) -> bytes:
        raw = base64.b64decode(wrapped)
        return self.kek.decrypt(raw[:12], raw[12:], stream_id.bytes)


def _select_in(tx: Tx, select: str, values: list[str]) -> list[tuple[Any, ...]]:
    """`select` with its `IN ({})` filled with the values, a thousand at a time."""
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(values), 1000):
        chunk = values[start : start + 1000]
        rows += tx.execute(select.format(", ".join("?" * len(chunk))), chunk)
    return rows


def _rewrite_sqlite(store: ReadStore) -> None:
    """VACUUM writes the file anew from the live rows; a TRUNCATE checkpoint then moves those
    pages into the file and empties the WAL, which held every page ever written since the last
    such checkpoint. A reader in the middle of a transaction keeps the WAL: wait, then fail."""
    with store.outside_transaction() as tx:
        try:
            tx.execute("VACUUM")
            for _ in range(PURGE_ATTEMPTS):
                # Waits for readers as long as the connection's busy timeout allows.
                busy, _, _ = tx.execute("PRAGMA wal_checkpoint(TRUNCATE)")[0]
                if not busy:
                    return
        except sqlite3.OperationalError as error:  # the file stayed locked by a writer
            raise KeyNotDestroyedError(f"the key store could not be rewritten: {error}") from error
    raise KeyNotDestroyedError(
        "a reader of the key store kept its write-ahead log from being emptied"
    )


def _rewrite_postgres(store: ReadStore, deleted_by: str, tables: list[str]) -> None:
    """VACUUM FULL copies the rows into a new file and drops the old one at commit, but it copies
    a deleted row too while a transaction older than the delete runs, in any database of the
    cluster (its id holds back the snapshots taken here). So: wait for those to end, rewrite,
    and check that the rewrite's cutoff (the table's new relfrozenxid) is past the delete; a
    snapshot older than the delete in this database (a long REPEATABLE READ report) still holds
    it: wait a second and rewrite again.

    It holds the table's ACCESS EXCLUSIVE lock meanwhile (every read of a key waits; how long:
    ops/runbooks/erasure.md); a lock timeout keeps it from queueing every reader behind a long
    transaction.
    """
    patience = store.factory.datastore.lock_timeout or 5  # type: ignore[attr-defined]
    with store.outside_transaction() as tx:
        tx.execute(f"SET lock_timeout = '{int(patience)}s'")
        try:
            for attempt in range(PURGE_ATTEMPTS):
                time.sleep(min(attempt, 1))
                if not _older_transactions_ended(tx, deleted_by, patience):
                    continue
                try:
                    for table in tables:
                        tx.execute(f"VACUUM (FULL, FREEZE) {table}")
                except psycopg.errors.LockNotAvailable:
                    continue
                if all(_rewrite_left_it_behind(tx, deleted_by, table) for table in tables):
                    return
        finally:
            tx.execute("RESET lock_timeout")
    raise KeyNotDestroyedError(
        "the key table stayed locked, or a transaction older than the erasure kept running"
    )


def _older_transactions_ended(tx: Tx, deleted_by: str, seconds: float) -> bool:
    """Whether every transaction that wrote and began before the delete has ended (waiting)."""
    deadline = time.monotonic() + seconds
    while True:
        rows = tx.execute(
            "SELECT age(pg_snapshot_xmin(pg_current_snapshot())::xid) < age(?::text::xid)",
            (deleted_by,),
        )
        if rows[0][0]:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def _rewrite_left_it_behind(tx: Tx, deleted_by: str, table: str) -> bool:
    """Whether the last VACUUM FULL's cutoff came after the delete: then it copied no version
    of the deleted row (a deleted row is copied while the deleting id is not before it)."""
    rows = tx.execute(
        "SELECT age(relfrozenxid) < age(?::text::xid) FROM pg_class WHERE oid = ?::regclass",
        (deleted_by, table),
    )
    return bool(rows[0][0])


def keep_out_of_statistics(tx: Tx, table: str, column: str) -> None:
    """ANALYZE would copy sample values of the column into pg_statistic, where no VACUUM of the
    table reaches: no statistics for that column, and any kept from before are dropped (a type
    change to the same type drops them without rewriting the table)."""
    target = tx.execute(
        "SELECT COALESCE(attstattarget, -1) FROM pg_attribute"
        " WHERE attrelid = ?::regclass AND attname = ?",
        (table, column),
    )
    if target and target[0][0] != 0:
        tx.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET STATISTICS 0")
        tx.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE TEXT")
