"""Personal data sealed with a key of its own person (crypto-shredding).

Only the facts of `PersonalData` events are sealed; their envelope (ids, version, timestamps, who
recorded them) stays readable, so history and the audit chain keep working after the key is gone.
"""

from __future__ import annotations

import base64
import os
from typing import Any, Protocol
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder
from eventsourcing.utils import get_topic

from domain.personal_data import PersonalData

SEALED_FIELD = "sealed"
ENVELOPE = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic", "participant_id",
     "occurred_on", "recorded_by", "recorded_role", "request_id"}
)  # fmt: skip
ERASED = "erased"
# What a sealed event says once its key was destroyed: no values, only that they were erased.
PLACEHOLDERS: dict[str, dict[str, Any]] = {
    "Recorded": {"fields": {ERASED: True}},
    "Corrected": {"changes": {}, "reason": ERASED},
}


class KeyRing(Protocol):
    """Where each person's data key lives, apart from the events (and wrapped at rest)."""

    def key_for(self, stream_id: UUID, *, create: bool) -> bytes | None:
        """The stream's key; made on first use if `create`; None once destroyed."""

    def destroy(self, stream_id: UUID) -> None:
        """Forget the key for good: the stream's sealed facts can never be read again."""


class MemoryKeyRing:
    """A key ring in memory, for tests of the domain without a database."""

    def __init__(self) -> None:
        self.keys: dict[UUID, bytes] = {}
        self.destroyed: set[UUID] = set()

    def key_for(self, stream_id: UUID, *, create: bool) -> bytes | None:
        if stream_id in self.destroyed:
            return None
        if stream_id not in self.keys and create:
            self.keys[stream_id] = AESGCM.generate_key(bit_length=256)
        return self.keys.get(stream_id)

    def destroy(self, stream_id: UUID) -> None:
        self.keys.pop(stream_id, None)
        self.destroyed.add(stream_id)


def _sealed_topics() -> frozenset[str]:
    return frozenset(get_topic(cls) for cls in (PersonalData.Recorded, PersonalData.Corrected))


class SealingMapper(Mapper[UUID]):
    """The library's mapper, sealing the facts of personal-data events with the person's key."""

    def __init__(self, transcoder: Transcoder, keyring: KeyRing) -> None:
        super().__init__(transcoder)
        self.keyring = keyring
        self.sealed_topics = _sealed_topics()

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        if get_topic(type(domain_event)) not in self.sealed_topics:
            return super().to_stored_event(domain_event)
        key = self.keyring.key_for(domain_event.originator_id, create=True)
        if key is None:
            raise PermissionError("this person's data was erased; nothing can be added to it")
        state = vars(domain_event)
        facts = {k: v for k, v in state.items() if k not in ENVELOPE}
        nonce = os.urandom(12)
        sealed = nonce + AESGCM(key).encrypt(
            nonce, self.transcoder.encode(facts), domain_event.originator_id.bytes
        )
        envelope = object.__new__(type(domain_event))
        envelope.__dict__.update({k: v for k, v in state.items() if k in ENVELOPE})
        envelope.__dict__[SEALED_FIELD] = base64.b64encode(sealed).decode()
        return super().to_stored_event(envelope)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        event = super().to_domain_event(stored_event)
        sealed = event.__dict__.pop(SEALED_FIELD, None)
        if sealed is None:
            return event
        # Never raise here: an exception would stop every reader of the log, projections included.
        facts = PLACEHOLDERS[type(event).__name__]
        stream = UUID(str(stored_event.originator_id))
        key = self.keyring.key_for(stream, create=False)
        if key is not None:
            raw = base64.b64decode(sealed)
            try:
                plain = AESGCM(key).decrypt(raw[:12], raw[12:], stream.bytes)
                facts = self.transcoder.decode(plain)
            except InvalidTag:
                facts = PLACEHOLDERS[type(event).__name__]
        event.__dict__.update(facts)
        return event
