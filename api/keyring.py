"""Each person's data key, wrapped by the key-encryption key, in a table apart from the events."""

from __future__ import annotations

import base64
import threading
import time
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain import cooperative
from projections.store import ReadStore

KEYS_DDL = (
    "CREATE TABLE IF NOT EXISTS personal_data_keys ("
    "stream_id TEXT PRIMARY KEY, wrapped TEXT NOT NULL)"
)
# Other processes may destroy a key: a cached one is trusted this long.
CACHE_SECONDS = 30.0


class SqlKeyRing:
    """Keys wrapped with AES-GCM under the key-encryption key; unwrapped ones cached briefly."""

    def __init__(self, store: ReadStore, key_encryption_key: bytes) -> None:
        self.store = store
        self.kek = AESGCM(key_encryption_key)
        self._cache: dict[UUID, tuple[bytes, float]] = {}
        self._lock = threading.Lock()
        with store.transaction() as tx:
            tx.execute(KEYS_DDL)

    def key_for(self, stream_id: UUID, *, create: bool) -> bytes | None:
        with self._lock:
            cached = self._cache.get(stream_id)
        if cached and time.monotonic() - cached[1] < CACHE_SECONDS:
            return cached[0]
        # On the event loop, a command pauses here rather than holding the loop up.
        rows = cooperative.blocking(self._stored, stream_id, create)
        if not rows:
            return None
        key = self._unwrap(stream_id, rows[0][0])
        with self._lock:
            self._cache[stream_id] = (key, time.monotonic())
        return key

    def _stored(self, stream_id: UUID, create: bool) -> list[Any]:
        """The wrapped key's row, made first if asked to."""
        with self.store.transaction() as tx:
            rows = tx.execute(
                "SELECT wrapped FROM personal_data_keys WHERE stream_id = ?", (str(stream_id),)
            )
            if not rows and create:
                key = AESGCM.generate_key(bit_length=256)
                tx.execute(
                    "INSERT INTO personal_data_keys VALUES (?, ?)"
                    " ON CONFLICT (stream_id) DO NOTHING",
                    (str(stream_id), self._wrap(stream_id, key)),
                )
                rows = tx.execute(
                    "SELECT wrapped FROM personal_data_keys WHERE stream_id = ?", (str(stream_id),)
                )
        return list(rows)

    def destroy(self, stream_id: UUID) -> None:
        with self._lock:
            self._cache.pop(stream_id, None)
        with self.store.transaction() as tx:
            if not self.store.postgres:
                # Overwrite the freed page too, or the old row lingers in the file until VACUUM.
                tx.execute("PRAGMA secure_delete = ON")
            tx.execute("DELETE FROM personal_data_keys WHERE stream_id = ?", (str(stream_id),))

    def _wrap(self, stream_id: UUID, key: bytes) -> str:
        nonce = AESGCM.generate_key(bit_length=128)[:12]
        return base64.b64encode(nonce + self.kek.encrypt(nonce, key, stream_id.bytes)).decode()

    def _unwrap(self, stream_id: UUID, wrapped: str) -> bytes:
        raw = base64.b64decode(wrapped)
        return self.kek.decrypt(raw[:12], raw[12:], stream_id.bytes)
