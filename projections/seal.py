"""The audit chain: a hash over every stored event in log order, with signed checkpoints.

It hashes the stored bytes, not the decoded events, so it still verifies after an erasure. It is not
rebuilt like the read models: a rebuild would hash whatever the table holds now, tampering included.
Checking it is projections/seal_verify.py; publishing checkpoints outside the database,
projections/checkpoints.py.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.persistence import ApplicationRecorder

from projections.checkpoints import Checkpoint, append_to_log, checkpoint_message
from projections.model import ReadModel, recorded_at
from store.read_store import ReadStore, Tx

GENESIS = bytes(32)
TIMESTAMP = re.compile(rb'"timestamp":\{"_type_":"datetime_iso","_data_":"([^"]+)"\}')
READ_PAGE = 5000


def link(
    previous: bytes,
    position: int,
    originator_id: object,
    version: int,
    topic: str,
    state: bytes,
    v2_from: int = 1,
) -> bytes:
    """One link of the chain: of the second form from position `v2_from` on, of the first
    before it. ops/audit/verify_export.py and verify_claim.py compute exactly the same.

    The first form hashes the event's stored bytes whole; the second, their SHA-256
    (`link_of_digest`). So a claim's package proves the events it holds in full with only the
    head and digest of every other event: no other program's case facts.
    """
    if position >= v2_from:
        return link_of_digest(
            previous, position, originator_id, version, topic, hashlib.sha256(state).digest()
        )
    head = f"{position}|{originator_id}|{version}|{topic}|".encode()
    return hashlib.sha256(previous + head + state).digest()


def link_of_digest(
    previous: bytes, position: int, originator_id: object, version: int, topic: str, digest: bytes
) -> bytes:
    """A link of the second form, from the SHA-256 of the event's stored bytes."""
    head = f"{position}|{originator_id}|{version}|{topic}|".encode()
    return hashlib.sha256(previous + head + digest).digest()


def recorded_time(state: bytes) -> str | None:
    """The event's recorded time, from its stored envelope (sealed facts leave it readable)."""
    found = TIMESTAMP.search(state)
    return recorded_at(datetime.fromisoformat(found.group(1).decode())) if found else None


class AuditChain(ReadModel):
    """Chain hashes per position, and checkpoints signed every N events and every T seconds
    (the tail of a quiet log too, see `idle`)."""

    name = "seal"
    RAW = True
    REPLAYED_WHEN_RESHAPED = False
    TABLES: ClassVar[dict[str, str]] = {
        # recorded_at: when the event was recorded, read from its envelope ("as known at").
        "chain": "position INTEGER PRIMARY KEY, hash TEXT NOT NULL, recorded_at TEXT",
        "checkpoints": (
            "position INTEGER PRIMARY KEY, hash TEXT NOT NULL, signed_at TEXT NOT NULL,"
            " signature TEXT NOT NULL"
        ),
        # Where each form of link starts: a chain begun before the second form keeps the first
        # up to the position recorded here (the seal is never replayed).
        "links": "version INTEGER PRIMARY KEY, from_position INTEGER NOT NULL",
    }

    def __init__(
        self,
        store: ReadStore,
        signer: Ed25519PrivateKey,
        every_events: int = 1000,
        every_seconds: float = 60.0,
        checkpoint_log: Path | None = None,
    ) -> None:
        super().__init__(store, generation=0)
        self.checkpoint_log = checkpoint_log
        self._unpublished: list[Checkpoint] = []
        self.signer = signer
        self.every_events = every_events
        self.every_seconds = every_seconds
        self._last: tuple[int, bytes] | None = None
        self._v2_from = 1
        self._since_checkpoint = 0
        self._checkpointed_at = time.monotonic()
        self._rows: list[tuple[int, str, str | None]] = []

    def follow_switch(self, live: int | None = None) -> None:
        """The chain has one generation only."""

    def renewed(self) -> AuditChain:
        return AuditChain(
            self.store, self.signer, self.every_events, self.every_seconds, self.checkpoint_log
        )

    def process(self, tx: Tx, events: Sequence[tuple[Any, int]]) -> None:
        self._unpublished = []  # signed in a batch that rolled back: never published
        position, previous = self._tip(tx)
        for notification, at in events:
            previous = link(
                previous,
                at,
                notification.originator_id,
                notification.originator_version,
                notification.topic,
                notification.state,
                self._v2_from,
            )
            position = at
            self._rows.append((at, previous.hex(), recorded_time(notification.state)))
        tx.insert_rows(self.t("chain"), self._rows)
        self._since_checkpoint += len(self._rows)
        self._rows = []
        self._last = (position, previous)
        due = time.monotonic() - self._checkpointed_at >= self.every_seconds
        if position and (self._since_checkpoint >= self.every_events or due):
            self.sign(tx, position, previous.hex())

    def sign(self, tx: Tx, position: int, chain_hash: str) -> None:
        signed_at = datetime.now(UTC).isoformat()
        signature = self.signer.sign(checkpoint_message(position, chain_hash, signed_at))
        checkpoint = Checkpoint(
            position, chain_hash, signed_at, base64.b64encode(signature).decode()
        )
        tx.execute(
            f"INSERT INTO {self.t('checkpoints')} VALUES (?, ?, ?, ?)"
            " ON CONFLICT (position) DO NOTHING",
            (position, chain_hash, signed_at, checkpoint.signature),
        )
        if self.checkpoint_log is not None:
            self._unpublished.append(checkpoint)
        self._since_checkpoint = 0
        self._checkpointed_at = time.monotonic()

    def idle(self) -> None:
        """At the log head with nothing new: sign the tail once a checkpoint is due.

        Without it, the last events before a quiet spell stayed unsigned (and so unsealed) until
        the next write: on a quiet ledger no event now waits much longer than `every_seconds`.
        """
        if time.monotonic() - self._checkpointed_at < self.every_seconds:
            return
        with self.store.transaction() as tx:
            position, previous = self._tip(tx)
            if not (position and self._since_checkpoint):
                self._checkpointed_at = time.monotonic()  # look again in `every_seconds`
                return
            self._unpublished = []
            self.sign(tx, position, previous.hex())
        self.publish_committed()

    def publish_committed(self) -> None:
        """Append the checkpoints of the committed batch to the checkpoint log (fsynced).

        Only after the commit: a checkpoint of a batch that rolled back would be named by the
        published record and missing from the ledger's, a false alarm for every later audit.
        """
        if self.checkpoint_log is not None and self._unpublished:
            append_to_log(self.checkpoint_log, self._unpublished)
        self._unpublished = []

    def _tip(self, tx: Tx) -> tuple[int, bytes]:
        if self._last is None:
            rows = tx.execute(
                f"SELECT position, hash FROM {self.t('chain')} ORDER BY position DESC LIMIT 1"
            )
            self._last = (rows[0][0], bytes.fromhex(rows[0][1])) if rows else (0, GENESIS)
            # A tail hashed before a restart, not yet signed, is due like any other.
            latest = self.latest_checkpoint(tx)
            self._since_checkpoint = self._last[0] - (latest.position if latest else 0)
            recorded = self.v2_from(tx)
            if recorded is None:  # a chain of the first form, or none yet: the second from here
                recorded = self._last[0] + 1
                tx.execute(f"INSERT INTO {self.t('links')} VALUES (2, ?)", (recorded,))
            self._v2_from = recorded
        return self._last

    # Queries.

    def v2_from(self, tx: Tx | None = None) -> int | None:
        """Where links of the second form start; None before the seal first ran with them
        (every link so far is of the first form)."""
        query = f"SELECT from_position FROM {self.t('links')} WHERE version = 2"
        if tx is None:
            with self.store.transaction() as own:
                rows = own.execute(query)
        else:
            rows = tx.execute(query)
        return int(rows[0][0]) if rows else None

    def position_at(self, tx: Tx, known_at: datetime) -> int:
        """The last log position recorded by `known_at`."""
        rows = tx.execute(
            f"SELECT MAX(position) FROM {self.t('chain')} WHERE recorded_at <= ?",
            (recorded_at(known_at),),
        )
        return int(rows[0][0] or 0)

    def latest_checkpoint(self, tx: Tx | None = None) -> Checkpoint | None:
        """The newest signed checkpoint (in `tx`, if given)."""
        query = (
            f"SELECT position, hash, signed_at, signature FROM {self.t('checkpoints')}"
            " ORDER BY position DESC LIMIT 1"
        )
        if tx is None:
            with self.store.transaction() as own:
                rows = own.execute(query)
        else:
            rows = tx.execute(query)
        return Checkpoint(*rows[0]) if rows else None

    def covering(self, position: int) -> Checkpoint | None:
        """The first checkpoint signed at or after `position`: it seals everything up to there,
        and stays the same answer from then on."""
        with self.store.transaction() as tx:
            rows = tx.execute(
                f"SELECT position, hash, signed_at, signature FROM {self.t('checkpoints')}"
                " WHERE position >= ? ORDER BY position LIMIT 1",
                (position,),
            )
        return Checkpoint(*rows[0]) if rows else None

    def checkpoints(self) -> list[Checkpoint]:
        with self.store.transaction() as tx:
            return [
                Checkpoint(*row)
                for row in tx.execute(
                    "SELECT position, hash, signed_at, signature"
                    f" FROM {self.t('checkpoints')} ORDER BY position"
                )
            ]

    def hash_before(self, position: int) -> bytes:
        """The chain's value just before `position`: where a chain over what follows starts."""
        with self.store.transaction() as tx:
            rows = tx.execute(
                f"SELECT hash FROM {self.t('chain')} WHERE position < ?"
                " ORDER BY position DESC LIMIT 1",
                (position,),
            )
        return bytes.fromhex(rows[0][0]) if rows else GENESIS

    def hashes_at(self, positions: Sequence[int]) -> dict[int, str]:
        """The chain's value at each of these positions (those the seal has hashed)."""
        found: dict[int, str] = {}
        with self.store.transaction() as tx:
            for first in range(0, len(positions), 500):
                chunk = list(positions[first : first + 500])
                found.update(
                    tx.execute(
                        f"SELECT position, hash FROM {self.t('chain')}"
                        f" WHERE position IN ({', '.join('?' * len(chunk))})",
                        chunk,
                    )
                )
        return found

    def chain(self) -> dict[int, str]:
        with self.store.transaction() as tx:
            return dict(tx.execute(f"SELECT position, hash FROM {self.t('chain')}"))


def stored_events(
    recorder: ApplicationRecorder, stop: int | None = None, start: int = 1
) -> Iterator[Any]:
    """Every stored event in log order (from `start`, up to `stop`), as stored, page by page."""
    while True:
        page = recorder.select_notifications(start, READ_PAGE, stop=stop)
        yield from page
        if len(page) < READ_PAGE:
            return
        start = page[-1].id + 1
