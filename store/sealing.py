"""The encrypting mapper: personal facts sealed with their person's key (crypto-shredding).

Which facts of which event are sealed is the domain's table (`domain/sealing.py`); this module
does the sealing and opening, and reads a fact whose key is gone as the table says.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable, Sequence
from copy import deepcopy
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder
from eventsourcing.utils import get_topic

from domain.personal_data import personal_data_id_for
from domain.sealing import ERASED, SEALED_FIELD, SEALS, KeyRing


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

    def keys_for(self, stream_ids: Iterable[UUID], *, create: bool) -> dict[UUID, bytes | None]:
        return {stream_id: self.key_for(stream_id, create=create) for stream_id in stream_ids}

    def destroy(self, stream_id: UUID) -> None:
        self.keys.pop(stream_id, None)
        self.destroyed.add(stream_id)


class SealingMapper(Mapper[UUID]):
    """The library's mapper, sealing the personal facts of events with the person's key."""

    def __init__(self, transcoder: Transcoder, keyring: KeyRing) -> None:
        super().__init__(transcoder)
        self.keyring = keyring
        self.seals = {get_topic(cls): seal for cls, seal in SEALS.items()}

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        seal = self.seals.get(get_topic(type(domain_event)))
        if seal is None:
            return super().to_stored_event(domain_event)
        stream = domain_event.originator_id
        key = self.keyring.key_for(seal.key_stream(stream), create=True)
        if key is None:
            raise PermissionError("this person's data was erased; nothing can be added to it")
        state = vars(domain_event)
        sealed = seal.sealed(state)
        facts = {k: v for k, v in state.items() if k in sealed}
        nonce = os.urandom(12)
        ciphertext = nonce + AESGCM(key).encrypt(nonce, self.transcoder.encode(facts), stream.bytes)
        envelope = object.__new__(type(domain_event))
        envelope.__dict__.update({k: v for k, v in state.items() if k not in sealed})
        envelope.__dict__[SEALED_FIELD] = base64.b64encode(ciphertext).decode()
        return super().to_stored_event(envelope)

    def to_domain_events(self, stored_events: Sequence[StoredEvent]) -> list[Any]:
        """Many stored events mapped, the keys of their sealed facts read together first."""
        streams = [
            self.seals[e.topic].key_stream(UUID(str(e.originator_id)))
            for e in stored_events
            if e.topic in self.seals
        ]
        if streams:
            self.keyring.keys_for(streams, create=False)
        return [self.to_domain_event(stored_event) for stored_event in stored_events]

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        event = super().to_domain_event(stored_event)
        seal = self.seals.get(stored_event.topic)
        sealed = event.__dict__.pop(SEALED_FIELD, None) if seal is not None else None
        if seal is None or sealed is None:  # not sealed, or stored before it was
            return event
        # Never raise here: an exception would stop every reader of the log, projections included.
        facts = deepcopy(seal.erased)
        stream = UUID(str(stored_event.originator_id))
        key = self.keyring.key_for(seal.key_stream(stream), create=False)
        if key is not None:
            raw = base64.b64decode(sealed)
            try:
                facts = self.transcoder.decode(
                    AESGCM(key).decrypt(raw[:12], raw[12:], stream.bytes)
                )
            except InvalidTag:
                facts = deepcopy(seal.erased)
        event.__dict__.update(facts)
        return event


SEALED_TEXT = "sealed:"


def seal_text(keyring: KeyRing, participant_id: UUID, text: str) -> str:
    """Free text about a person kept outside the events (why someone read their record), sealed
    with their key: it reads as erased once they are."""
    key = keyring.key_for(personal_data_id_for(participant_id), create=True)
    if key is None:
        return ERASED
    nonce = os.urandom(12)
    ciphertext = nonce + AESGCM(key).encrypt(nonce, text.encode(), participant_id.bytes)
    return SEALED_TEXT + base64.b64encode(ciphertext).decode()


def open_text(keyring: KeyRing, participant_id: UUID, stored: str) -> str:
    """The text `seal_text` sealed; text stored before it was sealed, as it is."""
    if not stored.startswith(SEALED_TEXT):
        return stored
    key = keyring.key_for(personal_data_id_for(participant_id), create=False)
    if key is None:
        return ERASED
    raw = base64.b64decode(stored[len(SEALED_TEXT) :])
    try:
        return AESGCM(key).decrypt(raw[:12], raw[12:], participant_id.bytes).decode()
    except InvalidTag:
        return ERASED
