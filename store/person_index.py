"""The blind index of people: keyed hashes of their tokens, beside the keys (domain/ports.py).

Each token of domain/person_tokens.py is stored as HMAC-SHA256 under the blind-index key,
truncated to 128 bits; that key is a row of the key ring (store/keyring.py), wrapped under the
key-encryption key, so a copy of the database without that key cannot test a guessed name,
date or SNILS against it. The tables live in the key store, and an erasure rewrites them with
the keys (`SqlKeyRing.also_rewrite`): a deleted row leaves no bytes in the files.

Two levels: `person_tokens` holds each person's words, birth date, SNILS and phone;
`name_variants` maps each one-deletion variant of a word to the word, once for all who hold it.
A search finds the words one edit from what was typed, then their people: each posting list is
read once. A word's variants go when its last holder does; a registration and an erasure
touching one word take turns on it (PostgreSQL advisory locks; SQLite writes one at a time).

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

from domain.person_tokens import EXACT, person_tokens, query_parts, word_variants
from domain.ports import PersonFound, SnilsClaim
from domain.sealing import KeyRing
from store import cooperative
from store.keyring import BLIND_INDEX_KEY_ID, SqlKeyRing, keep_out_of_statistics
from store.read_store import ReadStore, Tx

logger = logging.getLogger(__name__)

# Each table, and the column beside its key that rows are also found by.
TABLES = {
    "person_tokens": (
        "token TEXT NOT NULL, participant_id TEXT NOT NULL, PRIMARY KEY (token, participant_id)",
        "participant_id",
    ),
    "person_lookalikes": (
        "token TEXT NOT NULL, participant_id TEXT NOT NULL, PRIMARY KEY (token, participant_id)",
        "participant_id",
    ),
    "person_claims": (
        "claim TEXT PRIMARY KEY, participant_id TEXT NOT NULL, claimed_at BIGINT NOT NULL",
        "participant_id",
    ),
    "name_variants": (
        "variant TEXT NOT NULL, word TEXT NOT NULL, PRIMARY KEY (variant, word)",
        "word",
    ),
}
# The people matching a query: its exact tokens, and the words its variants name, each with the
# part of the query it stands for and its weight (the best one kept), then each such token's
# people. On PostgreSQL every lookup is an index lookup (LATERAL, fenced by OFFSET 0, however
# the planner guesses: the tokens have no statistics).
POSTGRES_MATCHES = (
    "WITH q(token, part, field, weight) AS ("
    " SELECT * FROM unnest(?::text[], ?::int[], ?::text[], ?::int[])),"
    " words AS (SELECT * FROM q WHERE weight = ?"
    "  UNION ALL SELECT v.word, q.part, q.field, q.weight FROM q CROSS JOIN LATERAL ("
    "   SELECT word FROM name_variants v WHERE v.variant = q.token OFFSET 0) v"
    "  WHERE q.weight <> ?),"
    " best AS (SELECT token, part, MAX(field) AS field, MAX(weight) AS weight"
    "  FROM words GROUP BY token, part),"
    " found AS (SELECT b.*, t.participant_id FROM best b CROSS JOIN LATERAL ("
    "  SELECT participant_id FROM person_tokens t WHERE t.token = b.token OFFSET 0) t)"
)
SQLITE_MATCHES = (
    " words AS (SELECT * FROM q WHERE weight = ?"
    "  UNION ALL SELECT v.word, q.part, q.field, q.weight FROM q"
    "  JOIN name_variants v ON v.variant = q.token WHERE q.weight <> ?),"
    " best AS (SELECT token, part, MAX(field) AS field, MAX(weight) AS weight"
    "  FROM words GROUP BY token, part),"
    " found AS (SELECT b.*, t.participant_id FROM best b"
    "  JOIN person_tokens t ON t.token = b.token)"
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
    made = sorted(person_tokens(SAMPLE)) + sorted(f"{v}>{w}" for v, w in word_variants(SAMPLE))
    return hashlib.sha256("\n".join(made).encode()).hexdigest()[:16]


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

    def variants(self, fields: Mapping[str, Any]) -> list[tuple[str, str]]:
        """(variant, word) of the name's words, keyed."""
        key = self.key()
        return [(keyed(key, v), keyed(key, w)) for v, w in sorted(word_variants(fields))]

    def snils(self, snils: str) -> str:
        return keyed(self.key(), f"s:{snils}")


class SqlPersonIndex:
    """The blind index in the key store's database (see domain/ports.py `PersonIndex`)."""

    def __init__(self, store: ReadStore, keyring: KeyRing) -> None:
        """`outdated`: the index was made by code tokenising otherwise (`ledger reindex`)."""
        self.store = store
        self.keys = BlindKeys(keyring)
        with store.transaction() as tx:
            for table, (columns, also_by) in TABLES.items():
                tx.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns})")
                tx.execute(
                    f"CREATE INDEX IF NOT EXISTS {table}_by_{also_by} ON {table} ({also_by})"
                )
                if store.postgres:
                    for column in columns.split(", ")[:2]:
                        keep_out_of_statistics(tx, table, column.split()[0])
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
        variants = self.keys.variants(fields)
        pid = str(participant_id)

        def replace(tx: Tx) -> None:
            held = self._drop_people(tx, [pid])
            self._one_at_a_time(tx, [*held, *(word for _, word in variants)])
            tx.insert_rows("person_tokens", [(token, pid) for token in tokens])
            tx.insert_rows("person_lookalikes", [(token, pid) for token in lookalikes])
            self._add_variants(tx, variants)
            self._drop_unheld_variants(tx, sorted(set(held) - set(tokens)))

        self._run(replace)

    def put_many(self, people: Sequence[tuple[UUID, Mapping[str, Any]]]) -> None:
        """Index many new participants at once (a rebuild, a bulk load): no rows replaced."""
        tokens: list[tuple[str, str]] = []
        lookalikes: list[tuple[str, str]] = []
        variants: set[tuple[str, str]] = set()
        for participant_id, fields in people:
            found, alike = self.keys.tokens(fields)
            tokens += [(token, str(participant_id)) for token in found]
            lookalikes += [(token, str(participant_id)) for token in alike]
            variants.update(self.keys.variants(fields))
        with self.store.transaction() as tx:
            if self.store.postgres:  # no erasure drops variants meanwhile (a lock a word: too many)
                tx.execute("LOCK TABLE name_variants IN SHARE ROW EXCLUSIVE MODE")
            tx.insert_rows("person_tokens", tokens)
            tx.insert_rows("person_lookalikes", lookalikes)
            self._add_variants(tx, sorted(variants))

    def forget(self, participant_ids: Sequence[UUID]) -> None:
        ids = [str(participant_id) for participant_id in participant_ids]

        def delete(tx: Tx) -> None:
            held = self._drop_people(tx, ids)
            tx.executemany(
                "DELETE FROM person_claims WHERE participant_id = ?", [(i,) for i in ids]
            )
            self._one_at_a_time(tx, held)
            self._drop_unheld_variants(tx, held)

        self._run(delete)

    def _drop_people(self, tx: Tx, ids: list[str]) -> list[str]:
        """Delete the people's rows (the transaction's first write: SQLite then writes alone),
        answering the tokens they held."""
        held: set[str] = set()
        for pid in ids:
            held.update(
                row[0]
                for row in tx.execute(
                    "DELETE FROM person_tokens WHERE participant_id = ? RETURNING token", (pid,)
                )
            )
            tx.execute("DELETE FROM person_lookalikes WHERE participant_id = ?", (pid,))
        return sorted(held)

    def _one_at_a_time(self, tx: Tx, words: list[str]) -> None:
        """Until the transaction ends, no other one adds or drops these words' variants: the
        last holder's erasure cannot drop a word a new registration just took up. Locks are
        taken in one order, so two transactions never wait for each other."""
        if self.store.postgres and words:
            tx.execute(
                "SELECT pg_advisory_xact_lock(h) FROM ("
                " SELECT DISTINCT hashtextextended(w, 0) AS h FROM unnest(?::text[]) AS w"
                " ORDER BY h) AS locks",
                (sorted(set(words)),),
            )

    def _add_variants(self, tx: Tx, variants: Sequence[tuple[str, str]]) -> None:
        if self.store.postgres:
            tx.execute(
                "INSERT INTO name_variants SELECT * FROM unnest(?::text[], ?::text[])"
                " ON CONFLICT DO NOTHING",
                ([v for v, _ in variants], [w for _, w in variants]),
            )
            return
        tx.executemany("INSERT INTO name_variants VALUES (?, ?) ON CONFLICT DO NOTHING", variants)

    def _drop_unheld_variants(self, tx: Tx, tokens: list[str]) -> None:
        """The variants of those of these words that nobody holds any more."""
        tx.executemany(
            "DELETE FROM name_variants WHERE word = ?"
            " AND NOT EXISTS (SELECT 1 FROM person_tokens WHERE token = ?)",
            [(token, token) for token in tokens],
        )

    def made_anew(self) -> None:
        """Record that the index holds this code's tokens (after `ledger reindex`)."""
        with self.store.transaction() as tx:
            self.store.record_shape(tx, SHAPE_NAME, tokens_shape())
        self.outdated = False

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
            params: list[Any] = [*(list(column) for column in columns), EXACT, EXACT]
        else:
            sql = (
                "WITH q(token, part, field, weight) AS (VALUES "
                + ", ".join(["(?, ?, ?, ?)"] * len(asked))
                + "),"
                + SQLITE_MATCHES
            )
            params = [v for token, row in asked.items() for v in (token, *row)] + [EXACT, EXACT]
        # Per person, the best weight of each part of the query, summed over the parts.
        sql += (
            f" SELECT participant_id, SUM(best), {matched} FROM ("
            " SELECT participant_id, part, MAX(field) AS field, MAX(weight) AS best"
            " FROM found GROUP BY participant_id, part"
            ") AS m GROUP BY participant_id ORDER BY SUM(best) DESC, participant_id LIMIT ?"
        )

        def select(tx: Tx) -> list[tuple[Any, ...]]:
            if self.store.postgres:
                # A token's people are guessed at thousands of rows (no statistics): JIT
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
