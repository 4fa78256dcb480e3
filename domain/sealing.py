"""Personal data sealed with a key of its own person (crypto-shredding).

Sealed are the facts of `PersonalData` events, and the free text of the person's own stream that
may name or describe them (an erasure's, link's or voiding's reason, a consent's document
reference). An event's
envelope (ids, version, timestamps, who recorded it) stays readable, so history and the audit
chain keep working after the key is gone; its sealed facts then read as erased. Events stored
before a fact was sealed hold it in plain text, and are read as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from domain.participant import Participant
from domain.personal_data import PersonalData, personal_data_id_for

SEALED_FIELD = "sealed"
ENVELOPE = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic", "participant_id",
     "occurred_on", "recorded_by", "recorded_role", "request_id"}
)  # fmt: skip
ERASED = "erased"


@dataclass(frozen=True)
class Seal:
    """Which facts of an event are sealed, under whose key, and what they read as once erased."""

    # None: every fact outside the envelope
    facts: frozenset[str] | None
    # the stream whose key seals them, from the event's own stream
    key_stream: Callable[[UUID], UUID]
    erased: dict[str, Any]

    def sealed(self, state: dict[str, Any]) -> frozenset[str]:
        """The names of the sealed facts in an event's state."""
        names = self.facts if self.facts is not None else frozenset(state) - ENVELOPE
        return names & frozenset(state)


def _itself(stream_id: UUID) -> UUID:
    return stream_id


SEALS: dict[type[Any], Seal] = {
    PersonalData.Recorded: Seal(None, _itself, {"fields": {ERASED: True}}),
    PersonalData.Corrected: Seal(None, _itself, {"changes": {}, "reason": ERASED}),
    Participant.ConsentRecorded: Seal(
        frozenset({"document_ref"}), personal_data_id_for, {"document_ref": ERASED}
    ),
    Participant.Erased: Seal(frozenset({"reason"}), personal_data_id_for, {"reason": ERASED}),
    # Why two records are one person, or why an entry was wrong, may describe the person.
    Participant.Linked: Seal(frozenset({"reason"}), personal_data_id_for, {"reason": ERASED}),
    Participant.Unlinked: Seal(frozenset({"reason"}), personal_data_id_for, {"reason": ERASED}),
    Participant.EntryVoided: Seal(frozenset({"reason"}), personal_data_id_for, {"reason": ERASED}),
}


def sealed_facts(event: Any) -> frozenset[str]:
    """The names of the event's facts that are personal data: shown only on a need to know."""
    seal = SEALS.get(type(event))
    return seal.sealed(vars(event)) if seal is not None else frozenset()


class KeyRing(Protocol):
    """Where each person's data key lives, apart from the events (and wrapped at rest)."""

    def key_for(self, stream_id: UUID, *, create: bool) -> bytes | None:
        """The stream's key; made on first use if `create`; None once destroyed."""

    def keys_for(self, stream_ids: Iterable[UUID], *, create: bool) -> dict[UUID, bytes | None]:
        """Many streams' keys at once, as `key_for` gives each."""

    def destroy(self, stream_id: UUID) -> None:
        """Forget the key for good: the stream's sealed facts can never be read again."""
