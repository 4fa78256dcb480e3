"""The audit chain: a hash over every stored event in log order, with signed checkpoints.

It hashes the stored bytes, not the decoded events, so it still verifies after an erasure. It is not
rebuilt like the read models: a rebuild would hash whatever the table holds now, tampering included.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from eventsourcing.persistence import ApplicationRecorder

from projections.model import ReadModel, recorded_at
from projections.store import ReadStore, Tx

GENESIS = bytes(32)
TIMESTAMP = re.compile(rb'"timestamp":\{"_type_":"datetime_iso","_data_":"([^"]+)"\}')
READ_PAGE = 5000


def link(
    previous: bytes, position: int, originator_id: object, version: int, topic: str, state: bytes
) -> bytes:
    """One link of the chain. ops/audit/verify_export.py computes exactly the same."""
    head = f"{position}|{originator_id}|{version}|{topic}|".encode()
    return hashlib.sha256(previous + head + state).digest()


def _recorded(state: bytes) -> str | None:
    """The event's recorded time, from its stored envelope (sealed facts leave it readable)."""
    found = TIMESTAMP.search(state)
    return recorded_at(datetime.fromisoformat(found.group(1).decode())) if found else None


def checkpoint_message(position: int, chain_hash: str, signed_at: str) -> bytes:
    return f"ledger-checkpoint|{position}|{chain_hash}|{signed_at}".encode()


@dataclass(frozen=True)
class Finding:
    """The first place where the log and its seal disagree."""

    position: int
    kind: str  # altered | removed | inserted | checkpoint_mismatch | checkpoint_signature_invalid
    detail: str


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    sealed_head: int
    checkpoints: int
    finding: Finding | None


class AuditChain(ReadModel):
    """Chain hashes per position, and checkpoints signed every N events and every T seconds."""

    name = "seal"
    RAW = True
    TABLES: ClassVar[dict[str, str]] = {
        # recorded_at: when the event was recorded, read from its envelope ("as known at").
        "chain": "position INTEGER PRIMARY KEY, hash TEXT NOT NULL, recorded_at TEXT",
        "checkpoints": (
            "position INTEGER PRIMARY KEY, hash TEXT NOT NULL, signed_at TEXT NOT NULL,"
            " signature TEXT NOT NULL"
        ),
    }

    def __init__(
        self,
        store: ReadStore,
        signer: Ed25519PrivateKey,
        every_events: int = 1000,
        every_seconds: float = 60.0,
    ) -> None:
        super().__init__(store, generation=0)
        self.signer = signer
        self.every_events = every_events
        self.every_seconds = every_seconds
        self._last: tuple[int, bytes] | None = None
        self._since_checkpoint = 0
        self._checkpointed_at = time.monotonic()
        self._rows: list[tuple[int, str, str | None]] = []

    def follow_switch(self, live: int | None = None) -> None:
        """The chain has one generation only."""

    def renewed(self) -> AuditChain:
        return AuditChain(self.store, self.signer, self.every_events, self.every_seconds)

    def process(self, tx: Tx, events: Sequence[tuple[Any, int]]) -> None:
        position, previous = self._tip(tx)
        for notification, at in events:
            previous = link(
                previous,
                at,
                notification.originator_id,
                notification.originator_version,
                notification.topic,
                notification.state,
            )
            position = at
            self._rows.append((at, previous.hex(), _recorded(notification.state)))
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
        tx.execute(
            f"INSERT INTO {self.t('checkpoints')} VALUES (?, ?, ?, ?)"
            " ON CONFLICT (position) DO NOTHING",
            (position, chain_hash, signed_at, base64.b64encode(signature).decode()),
        )
        self._since_checkpoint = 0
        self._checkpointed_at = time.monotonic()

    def _tip(self, tx: Tx) -> tuple[int, bytes]:
        if self._last is None:
            rows = tx.execute(
                f"SELECT position, hash FROM {self.t('chain')} ORDER BY position DESC LIMIT 1"
            )
            self._last = (rows[0][0], bytes.fromhex(rows[0][1])) if rows else (0, GENESIS)
        return self._last

    # Queries.

    def position_at(self, tx: Tx, known_at: datetime) -> int:
        """The last log position recorded by `known_at`."""
        rows = tx.execute(
            f"SELECT MAX(position) FROM {self.t('chain')} WHERE recorded_at <= ?",
            (recorded_at(known_at),),
        )
        return int(rows[0][0] or 0)

    def latest_checkpoint(self) -> dict[str, Any] | None:
        with self.store.transaction() as tx:
            rows = tx.execute(
                f"SELECT position, hash, signed_at, signature FROM {self.t('checkpoints')}"
                " ORDER BY position DESC LIMIT 1"
            )
        if not rows:
            return None
        position, chain_hash, signed_at, signature = rows[0]
        return {
            "position": position,
            "hash": chain_hash,
            "signed_at": signed_at,
            "signature": signature,
        }

    def checkpoints(self) -> list[tuple[int, str, str, str]]:
        with self.store.transaction() as tx:
            return [
                tuple(r)
                for r in tx.execute(
                    "SELECT position, hash, signed_at, signature"
                    f" FROM {self.t('checkpoints')} ORDER BY position"
                )
            ]

    def chain(self) -> dict[int, str]:
        with self.store.transaction() as tx:
            return dict(tx.execute(f"SELECT position, hash FROM {self.t('chain')}"))


def stored_events(recorder: ApplicationRecorder, stop: int | None = None) -> Iterator[Any]:
    """Every stored event in log order, as stored (bytes), page by page."""
    start = 1
    while True:
        page = recorder.select_notifications(start, READ_PAGE, stop=stop)
        yield from page
        if len(page) < READ_PAGE:
            return
        start = page[-1].id + 1


def verify(
    recorder: ApplicationRecorder, chain: AuditChain, public_key: Ed25519PublicKey
) -> Verification:
    """Recompute the chain from the stored events; name the first position that disagrees."""
    sealed = chain.chain()
    checkpoints = chain.checkpoints()
    sealed_head = max(sealed, default=0)
    signed = {position for position, *_ in checkpoints}
    expected = iter(sorted(sealed))
    previous, recomputed, checked = GENESIS, {}, 0
    finding: Finding | None = None
    for notification in stored_events(recorder, stop=sealed_head or None):
        if sealed_head == 0:
            break
        want = next(expected, None)
        if want is None or notification.id < want:
            finding = Finding(notification.id, "inserted", "an event the seal never saw")
            break
        if notification.id > want:
            finding = Finding(want, "removed", "a sealed event is missing from the log")
            break
        previous = link(
            previous,
            notification.id,
            notification.originator_id,
            notification.originator_version,
            notification.topic,
            notification.state,
        )
        if notification.id in signed:  # only checkpoint positions are compared below
            recomputed[notification.id] = previous.hex()
        checked += 1
        if previous.hex() != sealed[want]:
            finding = Finding(want, "altered", "the stored event differs from what was sealed")
            break
    else:
        missing = next(expected, None)
        if missing is not None and sealed_head:
            finding = Finding(missing, "removed", "a sealed event is missing from the log")
    if finding is None:
        finding = _check_signatures(checkpoints, sealed, recomputed, public_key)
    return Verification(finding is None, checked, sealed_head, len(checkpoints), finding)


def _check_signatures(
    checkpoints: list[tuple[int, str, str, str]],
    sealed: dict[int, str],
    recomputed: dict[int, str],
    public_key: Ed25519PublicKey,
) -> Finding | None:
    for position, chain_hash, signed_at, signature in checkpoints:
        try:
            public_key.verify(
                base64.b64decode(signature), checkpoint_message(position, chain_hash, signed_at)
            )
        except InvalidSignature:
            return Finding(
                position, "checkpoint_signature_invalid", "not signed by the ledger's key"
            )
        if recomputed.get(position) != chain_hash or sealed.get(position) != chain_hash:
            return Finding(
                position, "checkpoint_mismatch", "the chain differs from the signed checkpoint"
            )
    return None
