"""The blind index of people: keyed hashes of their tokens, beside the keys (domain/ports.py).

Each token of domain/person_tokens.py is stored as HMAC-SHA256 under the blind-index key,
truncated to 128 bits; that key is a row of the key ring (store/keyring.py), wrapped under the
key-encryption key, so a copy of the database without that key cannot test a guessed name,
date or SNILS against it. The tables live in the key store, and an erasure rewrites them with
the keys (`SqlKeyRing.also_rewrite`): a deleted row leaves no bytes in the files.

SNILS claims make a SNILS unique under racing registrations: a UNIQUE key (the SNILS's keyed
hash) taken inside the registering command, before its events are saved.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any
from uuid import UUID

from domain.person_tokens import person_tokens, query_parts
from domain.ports import PersonFound, SnilsClaim
from domain.sealing import KeyRing
from store import cooperative
from store.keyring import BLIND_INDEX_KEY_ID, SqlKeyRing, keep_out_of_statistics
from store.read_store import ReadStore, Tx

logger = logging.getLogger(__name__)

TABLES = {
    "person_tokens": "token TEXT NOT NULL, participant_id TEXT NOT NULL,"
    " PRIMARY KEY (token, participant_id)",
    "person_lookalikes": "token TEXT NOT NULL, participant_id TEXT NOT NULL,"
    " PRIMARY KEY (token, participant_id)",
    "person_claims": "claim TEXT PRIMARY KEY, participant_id TEXT NOT NULL,"
    " claimed_at BIGINT NOT NULL",
}
# A token held by more people than this is common (a given name, a patronymic): its people are
# not all read, only checked among those a rarer token of the query found (ops/bench/DECISIONS.md).
COMMON = 1000
# The people matching a query on PostgreSQL: each token's people, read up to COMMON + 1 by an
# index lookup each (LATERAL, OFFSET 0: however the planner guesses, as the tokens have no
# statistics); a common token's people are then only looked up among the rare tokens' people,
# one primary-key probe each. A query of common tokens only reads them all (the slow case left).
POSTGRES_MATCHES = (
    "WITH q(token, part, field, weight) AS ("
    " SELECT * FROM unnest(?::text[], ?::int[], ?::text[], ?::int[])),"
    " hits AS MATERIALIZED (SELECT q.*, t.participant_id FROM q CROSS JOIN LATERAL ("
    "  SELECT participant_id FROM person_tokens p WHERE p.token = q.token LIMIT ? OFFSET 0) t),"
    " common AS MATERIALIZED (SELECT token FROM hits GROUP BY token HAVING COUNT(*) > ?),"
    " rare AS MATERIALIZED (SELECT * FROM hits WHERE token NOT IN (SELECT token FROM common)),"
    " found AS ("
    "  SELECT * FROM rare"
    "  UNION ALL SELECT q.*, c.participant_id"
    "  FROM (SELECT DISTINCT participant_id FROM rare) c"
    "  CROSS JOIN (SELECT * FROM q WHERE token IN (SELECT token FROM common)) q"
    "  WHERE EXISTS (SELECT 1 FROM person_tokens p"
    "   WHERE p.token = q.token AND p.participant_id = c.participant_id)"
    "  UNION ALL SELECT q.*, t.participant_id FROM q CROSS JOIN LATERAL ("
    "   SELECT participant_id FROM person_tokens p WHERE p.token = q.token OFFSET 0) t"
    "  WHERE NOT EXISTS (SELECT 1 FROM rare))"
)
# Bytes of a token's HMAC kept: collisions among a few million tokens stay out of reach.
TOKEN_BYTES = 16
FIELDS = ("full_name", "birth_date", "snils", "phone")
# A made-up person whose tokens stand for the code that makes them: an index whose recorded
# digest of them differs was made by other code, and misses what this code's queries ask for.
SAMPLE = {
    "full_name": "Никитина-Водкина Алёна Yozhikova",
    "birth_date": date(1990, 5, 17),
    "snils": "11223344595",
    "phone": "8 (912) 345-67-89",
}
# Its name among the read models' recorded shapes (store/read_store.py).
SHAPE_NAME = "person_index"


def tokens_shape() -> str:
    """A digest of the sample's tokens: what the tokenising code of this version makes."""
    return hashlib.sha256("\n".join(sorted(person_tokens(SAMPLE))).encode()).hexdigest()[:16]


def keyed(key: bytes, token: str) -> str:
    """A token as the index stores it."""
    return hmac.new(key, token.encode(), hashlib.sha256).digest()[:TOKEN_BYTES].hex()


class BlindKeys:
    """The blind-index key from the ring, and tokens keyed with it."""

    def __init__(self, keyring: KeyRing) -> None:
        self.keyring = keyring
        self._key: bytes | None = None

    def key(self) -> bytes:
        if self._key is None:
            self._key = self.keyring.key_for(BLIND_INDEX_KEY_ID, create=True)
            assert self._key is not None, "the blind-index key is never destroyed"
        return self._key

    def tokens(self, fields: Mapping[str, Any]) -> tuple[list[str], list[str]]:
        """The keyed search tokens, and the keyed look-alike token (if any), of personal data."""
        key = self.key()
        plain = person_tokens(fields)
        found = [keyed(key, t) for t in sorted(plain) if not t.startswith("l:")]
        return found, [keyed(key, t) for t in sorted(plain) if t.startswith("l:")]

    def snils(self, snils: str) -> str:
        return keyed(self.key(), f"s:{snils}")


class SqlPersonIndex:
    """The blind index in the key store's database (see domain/ports.py `PersonIndex`)."""

    def __init__(self, store: ReadStore, keyring: KeyRing) -> None:
        """`outdated`: the index was made by code tokenising otherwise (`ledger reindex`)."""
        self.store = store
        self.keys = BlindKeys(keyring)
        with store.transaction() as tx:
            for table, columns in TABLES.items():
                tx.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns})")
                tx.execute(
                    f"CREATE INDEX IF NOT EXISTS {table}_by_participant ON {table} (participant_id)"
                )
                if store.postgres:
                    for column in ("participant_id", "claim" if "claim" in columns else "token"):
                        keep_out_of_statistics(tx, table, column)
            recorded = store.shape_of(tx, SHAPE_NAME)
            empty = not tx.execute("SELECT 1 FROM person_tokens LIMIT 1")
            if recorded is None and empty:
                store.record_shape(tx, SHAPE_NAME, tokens_shape())
            self.outdated = recorded not in (None, tokens_shape()) or (
                recorded is None and not empty
            )
        if self.outdated:
            logger.warning(
                "the person index holds tokens of an earlier version: searches miss some"
                " typos until `ledger reindex` (with the API stopped) makes it anew"
            )
        if isinstance(keyring, SqlKeyRing):
            for table in TABLES:
                keyring.also_rewrite(table)

    def _run(self, work: Any, *args: Any) -> Any:
        """One transaction; on the event loop, the command pauses for it."""

        def transaction() -> Any:
            with self.store.transaction() as tx:
                return work(tx, *args)

        return cooperative.blocking(transaction)

    def claim_snils(self, snils: str, participant_id: UUID) -> SnilsClaim:
        claim = self.keys.snils(snils)

        def take(tx: Tx) -> SnilsClaim:
            tx.execute(
                "INSERT INTO person_claims VALUES (?, ?, ?) ON CONFLICT (claim) DO NOTHING",
                (claim, str(participant_id), int(time.time())),
            )
            rows = tx.execute(
                "SELECT participant_id, claimed_at FROM person_claims WHERE claim = ?", (claim,)
            )
            return SnilsClaim(UUID(rows[0][0]), time.time() - rows[0][1])

        result: SnilsClaim = self._run(take)
        return result

    def take_over_snils(self, snils: str, holder: UUID, participant_id: UUID) -> bool:
        claim = self.keys.snils(snils)
        rows = self._run(
            lambda tx: tx.execute(
                "UPDATE person_claims SET participant_id = ?, claimed_at = ?"
                " WHERE claim = ? AND participant_id = ? RETURNING claim",
                (str(participant_id), int(time.time()), claim, str(holder)),
            )
        )
        return bool(rows)

    def release_snils(self, snils: str, participant_id: UUID) -> None:
        claim = self.keys.snils(snils)
        self._run(
            lambda tx: tx.execute(
                "DELETE FROM person_claims WHERE claim = ? AND participant_id = ?",
                (claim, str(participant_id)),
            )
        )

    def put(self, participant_id: UUID, fields: Mapping[str, Any]) -> None:
        tokens, lookalikes = self.keys.tokens(fields)
        pid = str(participant_id)

        def replace(tx: Tx) -> None:
            for table in ("person_tokens", "person_lookalikes"):
                tx.execute(f"DELETE FROM {table} WHERE participant_id = ?", (pid,))
            tx.insert_rows("person_tokens", [(token, pid) for token in tokens])
            tx.insert_rows("person_lookalikes", [(token, pid) for token in lookalikes])

        self._run(replace)

    def put_many(self, people: Sequence[tuple[UUID, Mapping[str, Any]]]) -> None:
        """Index many new participants at once (a rebuild, a bulk load): no rows replaced."""
        tokens: list[tuple[str, str]] = []
        lookalikes: list[tuple[str, str]] = []
        for participant_id, fields in people:
            found, alike = self.keys.tokens(fields)
            tokens += [(token, str(participant_id)) for token in found]
            lookalikes += [(token, str(participant_id)) for token in alike]
        with self.store.transaction() as tx:
            tx.insert_rows("person_tokens", tokens)
            tx.insert_rows("person_lookalikes", lookalikes)

    def made_anew(self) -> None:
        """Record that the index holds this code's tokens (after `ledger reindex`)."""
        with self.store.transaction() as tx:
            self.store.record_shape(tx, SHAPE_NAME, tokens_shape())
        self.outdated = False

    def forget(self, participant_ids: Sequence[UUID]) -> None:
        ids = [(str(participant_id),) for participant_id in participant_ids]

        def delete(tx: Tx) -> None:
            for table in TABLES:
                tx.executemany(f"DELETE FROM {table} WHERE participant_id = ?", ids)

        self._run(delete)

    def search(self, text: str, limit: int) -> list[PersonFound]:
        key = self.keys.key()
        # One row per token of the query: which part of the query it stands for, and its weight.
        asked = {
            keyed(key, token): (number, part.field, weight)
            for number, part in enumerate(query_parts(text))
            for token, weight in part.tokens
        }
        if not asked:
            return []
        columns = list(zip(*((token, *row) for token, row in asked.items()), strict=True))
        matched = ", ".join(
            f"MAX(CASE WHEN field = '{field}' THEN 1 ELSE 0 END)" for field in FIELDS
        )
        if self.store.postgres:
            sql = POSTGRES_MATCHES
            params: list[Any] = [*(list(column) for column in columns), COMMON + 1, COMMON]
        else:
            sql = (
                "WITH q(token, part, field, weight) AS (VALUES "
                + ", ".join(["(?, ?, ?, ?)"] * len(asked))
                + "), found AS (SELECT q.*, t.participant_id FROM person_tokens t"
                " JOIN q ON t.token = q.token)"
            )
            params = [v for token, row in asked.items() for v in (token, *row)]
        # Per person, the best weight of each part of the query, summed over the parts.
        sql += (
            f" SELECT participant_id, SUM(best), {matched} FROM ("
            " SELECT participant_id, part, MAX(field) AS field, MAX(weight) AS best"
            " FROM found GROUP BY participant_id, part"
            ") AS m GROUP BY participant_id ORDER BY SUM(best) DESC, participant_id LIMIT ?"
        )

        def select(tx: Tx) -> list[tuple[Any, ...]]:
            if self.store.postgres:
                # A common name's token is guessed at thousands of rows (no statistics): JIT
                # compiling for that guess took 190 ms, the query itself a few.
                tx.execute("SET LOCAL jit = off")
            return tx.execute(sql, (*params, limit))

        rows = self._run(select)
        return [
            PersonFound(
                UUID(pid),
                int(score),
                tuple(field for field, hit in zip(FIELDS, flags, strict=True) if hit),
            )
            for pid, score, *flags in rows
        ]

    def lookalikes(self, after: int, limit: int) -> list[list[UUID]]:
        def groups(tx: Tx) -> list[tuple[Any, ...]]:
            return tx.execute(
                "SELECT l.token, l.participant_id FROM person_lookalikes l JOIN ("
                " SELECT token FROM person_lookalikes GROUP BY token HAVING COUNT(*) > 1"
                " ORDER BY token LIMIT ? OFFSET ?) AS g ON l.token = g.token"
                " ORDER BY l.token, l.participant_id",
                (limit, after),
            )

        found: dict[str, list[UUID]] = defaultdict(list)
        for token, pid in self._run(groups):
            found[token].append(UUID(pid))
        return list(found.values())


class MemoryPersonIndex(SqlPersonIndex):
    """The blind index in an in-memory SQLite database, for a Ledger without a database."""

    def __init__(self, keyring: KeyRing) -> None:
        super().__init__(
            ReadStore({"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": ":memory:"}),
            keyring,
        )
