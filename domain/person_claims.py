"""A SNILS belongs to one person: claimed inside the command that records it, and what an attempt
that was never saved left in the person index taken back (domain/ports.py `PersonIndex`)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from domain.base import NotFoundError
from domain.participant import Participant
from domain.personal_data import DuplicatePersonError

if TYPE_CHECKING:
    from domain.ledger import Ledger

# A SNILS claimed by a registration that was never saved is taken over after this long: longer
# than a command may wait for its write (its claim is still good then) and decide again.
STALE_CLAIM_SECONDS = 120.0


def claim_snils(ledger: Ledger, snils: str, participant_id: UUID, attempts: list[UUID]) -> None:
    """Hold the SNILS for the participant, or refuse: someone holds it. A claim left by this
    command's earlier attempt, by a registration that failed long enough ago to have been
    saved, or by an erased person, is taken over."""
    while True:
        claim = ledger.person_index.claim_snils(snils, participant_id)
        if claim.holder == participant_id:
            return
        if claim.holder not in attempts and not _abandoned(ledger, claim.holder, claim.age_seconds):
            raise DuplicatePersonError(claim.holder)
        if ledger.person_index.take_over_snils(snils, claim.holder, participant_id):
            return


def _abandoned(ledger: Ledger, holder: UUID, age_seconds: float) -> bool:
    """Whether a claim's holder is no person: an erased one, or one never saved (a command
    that crashed between its claim and its save, once it is too old to be still saving)."""
    try:
        return ledger.load(Participant, holder).erased
    except NotFoundError:
        return age_seconds > STALE_CLAIM_SECONDS


def unindex(ledger: Ledger, attempts: list[UUID]) -> None:
    """Remove from the index the ids decided on but never saved (a saved one stays)."""
    unsaved = [attempt for attempt in attempts if attempt not in ledger.repository]
    if unsaved:
        ledger.person_index.forget(unsaved)
