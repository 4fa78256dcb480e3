"""A claim for a program's outcomes over a period, and the assessor's judgement of it.

Submitted, a claim freezes what the ledger knew at `known_at`: each line a person's outcome
(the definition's key and version, the day achieved, the entry ids that prove it, its amount),
and the audit checkpoint that covers every evidence event. Nothing of it changes afterwards: a
fact recorded later shows in the claim's restatement, never in the claim. An assessor marks
each line verified or disputed (with a reason; a line may be judged again until the claim is
decided), then accepts or rejects the claim: an accepted claim pays its verified lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain.base import (
    Actor,
    DomainError,
    InvalidValueError,
    LedgerAggregate,
    NotFoundError,
    non_empty,
    stable_topics,
    stamp,
)

VERDICTS = ("verified", "disputed")
DECISIONS = ("accepted", "rejected")
LINE_FIELDS = {"participant_id", "key", "version", "on", "evidence", "amount"}


@dataclass(frozen=True)
class ClaimBasis:
    """What a claim freezes as known at its moment: the outcome definitions' versions, one line
    per outcome claimed, and the signed checkpoint that covers every evidence event."""

    definitions: dict[str, int]
    lines: list[dict[str, Any]]
    checkpoint: dict[str, Any] | None


class ClaimDecidedError(DomainError):
    """The claim was accepted or rejected already: its judgement is closed."""

    rule = "claim_decided"


class ClaimNotJudgedError(DomainError):
    """A claim is decided only once every line is verified or disputed."""

    rule = "claim_lines_unjudged"


@stable_topics("Claim")
class Claim(LedgerAggregate):
    """What was claimed, as known when it was submitted, and how the assessor judged it."""

    def __init__(
        self,
        program_id: UUID,
        period_start: date,
        period_end: date,
        known_at: datetime,
        definitions: dict[str, int],
        lines: list[dict[str, Any]],
        total: int,
        checkpoint: dict[str, Any] | None,
    ) -> None:
        self.program_id = program_id
        self.period_start = period_start
        self.period_end = period_end
        self.known_at = known_at
        self.definitions = definitions
        self.lines = lines
        self.total = total
        self.checkpoint = checkpoint
        self.submitted_by = ""  # the Submitted event's stamp sets it
        # line number (from 1) -> {"verdict", "reason", "by"}: the latest judgement
        self.verdicts: dict[int, dict[str, str]] = {}
        self.decision: dict[str, Any] | None = None

    class Submitted(LedgerAggregate.Created):
        program_id: UUID
        period_start: date
        period_end: date
        known_at: datetime
        definitions: dict[str, int]
        lines: list[dict[str, Any]]
        total: int
        checkpoint: dict[str, Any] | None

        def apply(self, aggregate: Any) -> None:
            aggregate.submitted_by = self.recorded_by

    class LineJudged(LedgerAggregate.Event):
        line: int
        verdict: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.verdicts[self.line] = {
                "verdict": self.verdict,
                "reason": self.reason,
                "by": self.recorded_by,
            }

    class Decided(LedgerAggregate.Event):
        verdict: str
        reason: str
        amount: int

        def apply(self, aggregate: Any) -> None:
            aggregate.decision = {
                "verdict": self.verdict,
                "reason": self.reason,
                "amount": self.amount,
                "by": self.recorded_by,
            }

    @classmethod
    def submit(
        cls,
        *,
        claim_id: UUID,
        program_id: UUID,
        period_start: date,
        period_end: date,
        known_at: datetime,
        definitions: dict[str, int],
        lines: list[dict[str, Any]],
        checkpoint: dict[str, Any] | None,
        by: Actor,
        today: date,
    ) -> Claim:
        if period_end < period_start:
            raise InvalidValueError("period_end is before period_start")
        for number, line in enumerate(lines, start=1):
            if set(line) != LINE_FIELDS:
                raise InvalidValueError(f"claim line {number} has {sorted(line)}")
            if definitions.get(line["key"]) != line["version"]:
                raise InvalidValueError(f"claim line {number}: {line['key']} is not claimed")
            if not line["evidence"]:
                raise InvalidValueError(f"claim line {number} names no evidence")
        return cls._create(
            cls.Submitted,
            id=claim_id,
            program_id=program_id,
            period_start=period_start,
            period_end=period_end,
            known_at=known_at,
            definitions=definitions,
            lines=lines,
            total=sum(int(line["amount"]) for line in lines),
            checkpoint=checkpoint,
            **stamp(by, today),
        )

    def judge_line(self, line: int, verdict: str, reason: str, by: Actor, today: date) -> None:
        """Mark a line verified or disputed; a dispute says why."""
        self._open()
        if not 1 <= line <= len(self.lines):
            raise NotFoundError(f"the claim has lines 1 to {len(self.lines)}, not {line}")
        if verdict not in VERDICTS:
            raise InvalidValueError(f"a line is {' or '.join(VERDICTS)}")
        self.trigger_event(
            self.LineJudged,
            line=line,
            verdict=verdict,
            reason=non_empty(reason, "reason") if verdict == "disputed" else reason.strip(),
            **stamp(by, today),
        )

    def decide(self, verdict: str, reason: str, by: Actor, today: date) -> None:
        """Accept the claim (its verified lines are paid) or reject it (nothing is)."""
        self._open()
        if verdict not in DECISIONS:
            raise InvalidValueError(f"a claim is {' or '.join(DECISIONS)}")
        unjudged = [n for n in range(1, len(self.lines) + 1) if n not in self.verdicts]
        if unjudged:
            raise ClaimNotJudgedError(f"lines {unjudged[:10]} are not judged yet")
        paid = sum(
            int(line["amount"])
            for number, line in enumerate(self.lines, start=1)
            if self.verdicts[number]["verdict"] == "verified"
        )
        self.trigger_event(
            self.Decided,
            verdict=verdict,
            reason=non_empty(reason, "reason"),
            amount=paid if verdict == "accepted" else 0,
            **stamp(by, today),
        )

    def _open(self) -> None:
        if self.decision is not None:
            raise ClaimDecidedError(f"the claim was {self.decision['verdict']} already")
