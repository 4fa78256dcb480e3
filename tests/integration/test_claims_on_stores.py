"""Claims on both stores: submitted, judged and decided as events; a claim read back is the
claim as submitted, and a command sent again with its key is answered as the first time."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from domain.base import Actor
from domain.claim import Claim, ClaimBasis, ClaimDecidedError
from domain.commands import CommandResult, Context
from domain.ledger import Ledger

SUPERVISOR = Context(Actor("sv-1", "supervisor"))
ASSESSOR = Actor("as-1", "assessor")


def test_a_claim_is_submitted_judged_and_decided_as_recorded_events(ledger: Ledger) -> None:
    lines = [
        {
            "participant_id": str(uuid.uuid4()),
            "key": "no_return",
            "version": 1,
            "on": "2024-03-01",
            "evidence": [str(uuid.uuid4())],
            "amount": 150_000,
        }
        for _ in range(2)
    ]
    program, asked = uuid.uuid4(), []

    def basis(known_at: datetime) -> ClaimBasis:
        asked.append(known_at)
        return ClaimBasis({"no_return": 1}, lines, {"position": 7, "hash": "00" * 32})

    def submit() -> CommandResult:
        return ledger.submit_claim(
            Context(SUPERVISOR.actor, idempotency_key="claim-2024"),
            program_id=program,
            period_start=date(2023, 1, 1),
            period_end=date(2024, 3, 31),
            known_at=datetime(2024, 4, 1, tzinfo=UTC),
            basis=basis,
        )

    submitted = submit()
    again = submit()  # a lost answer, sent again: answered as first, nothing computed anew
    assert again.id == submitted.id
    assert asked == [datetime(2024, 4, 1, tzinfo=UTC)]
    for number, verdict in ((1, "verified"), (2, "disputed")):
        ledger.judge_claim_line(
            Context(ASSESSOR), submitted.id, number, verdict=verdict, reason="read the events"
        )
    ledger.decide_claim(Context(ASSESSOR), submitted.id, verdict="accepted", reason="line 1")

    claim = ledger.load(Claim, submitted.id)
    assert claim.lines == lines
    assert claim.total == 300_000
    assert claim.decision is not None
    assert (claim.decision["verdict"], claim.decision["amount"]) == ("accepted", 150_000)
    with pytest.raises(ClaimDecidedError):
        ledger.decide_claim(Context(ASSESSOR), submitted.id, verdict="rejected", reason="late")
