"""Commands on claims: submit one (what it freezes computed by the caller's `basis` from the
ledger as known at a moment), judge its lines, decide it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from domain.claim import Claim, ClaimBasis
from domain.commands import CommandResult, Context, Decision

if TYPE_CHECKING:
    from domain.ledger import Ledger


def submit_claim(
    ledger: Ledger,
    ctx: Context,
    *,
    program_id: UUID,
    period_start: date,
    period_end: date,
    basis: Callable[[datetime], ClaimBasis],
    known_at: datetime | None = None,
) -> CommandResult:
    """Record a claim for the program's outcomes achieved in the period, as known at `known_at`
    (default now): `basis` computes what it freezes (api/claim_basis.py, from the read models),
    only when the claim is new (sent again with its key, the first claim is answered)."""

    def decide(today: date) -> Decision:
        moment = known_at or datetime.now(UTC)
        frozen = basis(moment)
        claim = Claim.submit(
            claim_id=uuid.uuid4(),
            program_id=program_id,
            period_start=period_start,
            period_end=period_end,
            known_at=moment,
            definitions=frozen.definitions,
            lines=frozen.lines,
            checkpoint=frozen.checkpoint,
            by=ctx.actor,
            today=today,
        )
        return Decision(claim.id, claim.version, (claim,))

    arguments = {
        "program_id": program_id,
        "period_start": period_start,
        "period_end": period_end,
        "known_at": known_at,
    }
    return ledger.execute(ctx, "submit_claim", arguments, decide)


def judge_claim_line(
    ledger: Ledger, ctx: Context, claim_id: UUID, line: int, *, verdict: str, reason: str = ""
) -> CommandResult:
    """Mark one line of a claim verified or disputed (assessors)."""
    return ledger.change(
        ctx,
        Claim,
        claim_id,
        "judge_claim_line",
        {"claim_id": claim_id, "line": line, "verdict": verdict, "reason": reason},
        lambda c, today: c.judge_line(line, verdict, reason, ctx.actor, today),
    )


def decide_claim(
    ledger: Ledger, ctx: Context, claim_id: UUID, *, verdict: str, reason: str
) -> CommandResult:
    """Accept or reject a claim whose lines are all judged (assessors)."""
    return ledger.change(
        ctx,
        Claim,
        claim_id,
        "decide_claim",
        {"claim_id": claim_id, "verdict": verdict, "reason": reason},
        lambda c, today: c.decide(verdict, reason, ctx.actor, today),
    )
