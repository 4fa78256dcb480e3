"""What claim reads answer: a claim with its lines and verdicts, its lines alone (CSV too), and
a list of claims; typed, with examples, for the OpenAPI."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import Field

from api.answers import ReadAnswer, documented

_LINE = {
    "line": 1,
    "participant_id": "6f1c8a52-3d0e-4c1b-9a7e-2b5d8f0e4a11",
    "key": "no_return",
    "version": 1,
    "on": "2022-03-01",
    "evidence": ["423bded8-afd3-5631-ba75-273224e30148"],
    "amount": 150000,
    "verdict": "verified",
    "reason": "",
}


class ClaimLine(ReadAnswer):
    """One outcome claimed: whose, which definition (and version), the day achieved, the
    entry ids that prove it, its amount; and the assessor's verdict, if given yet."""

    line: int
    participant_id: str
    key: str
    version: int
    on: date
    evidence: list[str]
    amount: int
    verdict: str | None = None
    reason: str | None = None


class ClaimAnswer(ReadAnswer):
    """A claim as submitted, with the assessor's verdicts and decision."""

    id: UUID
    program_id: UUID
    period_start: date
    period_end: date
    known_at: datetime = Field(description="The moment the claim was frozen at")
    definitions: dict[str, int] = Field(description="Each outcome claimed, by its version")
    lines: list[ClaimLine]
    total: int
    checkpoint: dict[str, Any] | None = Field(
        description="The signed checkpoint covering every evidence event"
    )
    submitted_by: str
    decision: dict[str, Any] | None = Field(description="verdict, reason, amount paid, by")
    version: int

    model_config = documented(
        {
            "id": "0b7d2e94-81f3-4a6c-b5d0-7e3c9a1f2d48",
            "program_id": "215169e2-43f3-50c4-a5ee-ae5129360613",
            "period_start": "2021-01-01",
            "period_end": "2022-12-31",
            "known_at": "2023-01-15T09:00:00Z",
            "definitions": {"no_return": 1},
            "lines": [_LINE],
            "total": 150000,
            "checkpoint": {
                "position": 420,
                "hash": "9f2c" * 16,
                "signed_at": "2023-01-15T08:59:58Z",
                "signature": "c2lnbmF0dXJl",
            },
            "submitted_by": "supervisor-1",
            "decision": {
                "verdict": "accepted",
                "reason": "every line verified",
                "amount": 150000,
                "by": "assessor-1",
            },
            "version": 3,
        }
    )


class ClaimLines(ReadAnswer):
    """A claim's lines with their verdicts (CSV too)."""

    claim_id: str
    lines: list[ClaimLine]
    version: int = Field(description="The claim's version: 1 as submitted, +1 a judgement")
    position: int = Field(description="The log's position when it was read")

    model_config = documented(
        {
            "claim_id": "0b7d2e94-81f3-4a6c-b5d0-7e3c9a1f2d48",
            "lines": [_LINE],
            "version": 3,
            "position": 420,
        }
    )


class ClaimSummary(ReadAnswer):
    """A claim as listed: its program and period, what it claimed, and what was paid."""

    id: UUID
    program_id: UUID
    period_start: date
    period_end: date
    total: int
    submitted_by: str
    decision: str | None = Field(description="accepted or rejected; null until decided")
    paid: int | None


class ClaimList(ReadAnswer):
    """The claims of the programs the caller covers, in the order submitted."""

    claims: list[ClaimSummary]
    next_cursor: str | None
    position: int

    model_config = documented(
        {
            "claims": [
                {
                    "id": "0b7d2e94-81f3-4a6c-b5d0-7e3c9a1f2d48",
                    "program_id": "215169e2-43f3-50c4-a5ee-ae5129360613",
                    "period_start": "2021-01-01",
                    "period_end": "2022-12-31",
                    "total": 150000,
                    "submitted_by": "supervisor-1",
                    "decision": "accepted",
                    "paid": 150000,
                }
            ],
            "next_cursor": None,
            "position": 420,
        }
    )
