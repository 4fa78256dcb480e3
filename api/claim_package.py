"""A claim's package for its assessor: what ops/audit/verify_claim.py needs to prove the claim's
events unaltered and recompute every line, without the ledger and without trusting its servers.

The package holds, from the first event of the streams it holds whole to the latest signed
checkpoint:
- every position's head (stream, version, topic) and the SHA-256 of its stored bytes, so the
  chain can be recomputed to the signed hash (links of the second form, see
  projections/seal.py);
- whole, as stored: the claim's stream, its program's (the outcome definitions), each claimed
  person's records (any linked to theirs too) and their episodes in the program, and every
  episode's opening (the verifier finds a person's episodes by them, so none can be held back
  unnoticed); a link of the first form needs its event whole too;
- the chain's value before its first position, the signed checkpoints it passes, the public key
  and the digest of the outcome rules the ledger evaluated with.

Everything else is a digest only: no other person's case facts. Personal data is not in it: a
person's own data lives in streams the package never holds whole, and the facts of a person's
stream that may describe them are sealed with their key.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from eventsourcing.utils import get_topic

import domain.outcome_rules
from api.bootstrap import Components
from domain.base import DomainError
from domain.claim import Claim
from domain.episode import Episode
from domain.ledger import Ledger
from domain.participant import Participant
from projections.seal import AuditChain, stored_events
from store.pg_log import LedgerRecorder
from store.sqlite_log import LedgerSQLiteRecorder

FORMAT = "ledger-claim-package/1"
OPENED = get_topic(Episode.Opened)
LINKS = {get_topic(Participant.Linked), get_topic(Participant.Unlinked)}
RULES = Path(domain.outcome_rules.__file__)


class ClaimUnsealedError(DomainError):
    """No signed checkpoint covers the claim yet: the seal signs every few seconds or events;
    ask for the package again shortly."""

    rule = "claim_unsealed"


def claim_package(
    components: Components, claim_id: UUID, from_position: int | None = None
) -> dict[str, Any]:
    """The package of a claim, as the ledger holds it up to its latest signed checkpoint;
    `from_position` reaches back to an earlier checkpoint the assessor kept."""
    claim: Claim = components.ledger.load(Claim, claim_id)
    return package_of(components.ledger, components.seal, claim, from_position=from_position)


def package_of(
    ledger: Ledger,
    seal: AuditChain,
    claim: Claim,
    people: Iterable[UUID] | None = None,
    from_position: int | None = None,
) -> dict[str, Any]:
    """The package of a claim, holding whole its own and its program's stream, its people's
    (or those given) and their episodes' in the program, found by their openings in the log."""
    recorder = ledger.recorder
    assert isinstance(recorder, LedgerRecorder | LedgerSQLiteRecorder)  # what the store builds
    first = recorder.position_of(claim.id, 1) or 0
    latest = seal.latest_checkpoint()
    if latest is None or latest.position < first:
        raise ClaimUnsealedError(
            f"the claim is at log position {first}, which no signed checkpoint covers yet"
        )
    if people is None:
        people = {UUID(str(line["participant_id"])) for line in claim.lines}
    held = linked_records(ledger, people)
    # Each person's episodes open after their own first event: the log from there shows them.
    whole = {claim.id, claim.program_id, *held}
    start = min(p for p in (recorder.position_of(s, 1) for s in whole) if p is not None)
    if from_position is not None:
        start = max(1, min(start, from_position))
    recorded = seal.v2_from()
    v2_from = recorded if recorded is not None else latest.position + 1
    entries, events = [], []
    for n in stored_events(recorder, stop=latest.position, start=start):
        if n.topic == OPENED:
            opened: Any = ledger.mapper.to_domain_event(n)
            if opened.program_id == claim.program_id and opened.participant_id in held:
                whole.add(opened.originator_id)
        digest = hashlib.sha256(n.state).digest()
        entries.append([n.id, str(n.originator_id), n.originator_version, n.topic, digest.hex()])
        if n.id < v2_from or n.topic == OPENED or UUID(str(n.originator_id)) in whole:
            events.append({"position": n.id, "state": base64.b64encode(n.state).decode()})
    chain = seal.hashes_at([event["position"] for event in events])
    for event in events:
        event["chain"] = chain[event["position"]]
    public_key = seal.signer.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {
        "format": FORMAT,
        "claim_id": str(claim.id),
        "program_id": str(claim.program_id),
        "public_key": base64.b64encode(public_key).decode(),
        "rules_sha256": hashlib.sha256(RULES.read_bytes()).hexdigest(),
        "links_v2_from": v2_from,
        "start": start,
        "chain_before": seal.hash_before(start).hex(),
        "checkpoints": [
            c.as_dict() for c in seal.checkpoints() if start <= c.position <= latest.position
        ],
        "entries": entries,
        "events": events,
    }


def linked_records(ledger: Ledger, people: Iterable[UUID]) -> set[UUID]:
    """These records, and every record ever linked to one of them, and to those in turn: an
    outcome counts the facts of all of a person's records."""
    recorder = ledger.recorder
    assert isinstance(recorder, LedgerRecorder | LedgerSQLiteRecorder)  # what the store builds
    held = set(people)
    frontier = set(held)
    while frontier:
        found = set()
        for stored in recorder.select_streams(sorted(frontier)):
            if stored.topic in LINKS:
                event: Any = ledger.mapper.to_domain_event(stored)
                found.add(event.other_id)
        frontier = found - held
        held |= frontier
    return held
