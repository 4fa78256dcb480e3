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


class ClaimPackage(ReadAnswer):
    """A claim's package for its assessor (api/claim_package.py says what it holds), to check
    offline with ops/audit/verify_claim.py."""

    format: str
    claim_id: UUID
    program_id: UUID
    public_key: str = Field(description="Ed25519, raw 32 bytes in base64")
    rules_sha256: str = Field(description="The SHA-256 of the outcome rules evaluated with")
    links_v2_from: int = Field(description="Where links over an event's SHA-256 start")
    start: int = Field(description="The first log position in the package")
    chain_before: str = Field(description="The chain's value before `start`, hex")
    checkpoints: list[dict[str, Any]] = Field(description="The signed checkpoints of the span")
    entries: list[list[Any]] = Field(
        description="Every event of the span: position, stream, version, topic, SHA-256 (hex)"
    )
    events: list[dict[str, Any]] = Field(
        description="The events held whole: position, stored bytes (base64), the seal's hash"
    )

    model_config = documented(
        {
            "format": "ledger-claim-package/1",
            "claim_id": "0b7d2e94-81f3-4a6c-b5d0-7e3c9a1f2d48",
            "program_id": "9a3f7c10-2b4e-4d8a-8c61-5e0f1d2a3b4c",
            "public_key": "KUwVEux8B5TJjEcPQyw1OGFQ3ktbO2FYenUwqhSApLk=",
            "rules_sha256": "5d41402abc4b2a76b9719d911017c592" * 2,
            "links_v2_from": 1,
            "start": 3,
            "chain_before": "fe59761bc0768791d2eaf985f53f0d0e114ec991d25382a20329bcfb2761d13d",
            "checkpoints": [
                {
                    "position": 4,
                    "hash": "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b",
                    "signed_at": "2023-01-15T09:00:05+00:00",
                    "signature": "0qwGFjBnNYAtOVUEEQozVsfHTph1tYhX3AJggatjKOMob83A02JBqKc8XBX0"
                    "Mzku6DMx4TeTJsWqi41e6yTTAA==",
                }
            ],
            "entries": [
                [
                    3,
                    "6f1c8a52-3d0e-4c1b-9a7e-2b5d8f0e4a11",
                    1,
                    "ledger:Participant.Registered",
                    "d4735e3a265e16eee03f59718b9b5d03019c07d8b6c51f90da3a666eec13ab35",
                ],
                [
                    4,
                    "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
                    7,
                    "ledger:Episode.ServiceDelivered",
                    "4e07408562bedb8b60ce05c1decfe3ad16b72230967de01f640b7e4729b49fce",
                ],
            ],
            "events": [
                {
                    "position": 3,
                    "state": "eyJ0YXJnZXRfZ3JvdXBzIjpbXX0=",
                    "chain": "4b227777d4dd1fc61c6f884f48641d02b4d121d3fd328cb08b5531fcacdabf8a",
                }
            ],
        }
    )
