"""What the audit and the operators' routes answer, as typed models with examples."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from api.answers import PARTICIPANT, CheckpointBody, Moment, ReadAnswer, documented

KEY = "MCowBQYDK2VwAyEA1k1Q2v3bW6m0a9m0q6o0b0c0d0e0f0g0h0i0j0k0l0m="
HASH = "5f2c0e4a9b7d1c3e8f6a2b4d0c9e7f1a3b5d7c9e1f3a5b7d9c1e3f5a7b9d1c3e"
SIGNATURE = "u2k9nq3ZbG8T2fJmJrV4xQ=="


class AccessRecord(ReadAnswer):
    """One read of a person's data or history: who, as what, when, unmasked or not, why."""

    at: Moment
    subject: str
    role: str
    participant_id: UUID
    what: str
    unmasked: bool
    reason: str | None
    request_id: str


class AccessLogAnswer(ReadAnswer):
    """Who read this participant's data or history (a page)."""

    model_config = documented(
        {
            "items": [
                {
                    "at": "2025-06-01T10:00:00.000000+00:00",
                    "subject": "auditor-1",
                    "role": "auditor",
                    "participant_id": PARTICIPANT,
                    "what": "participant",
                    "unmasked": True,
                    "reason": "complaint 17",
                    "request_id": "37d251a2c6f63d14beb3236ebaec0ed7",
                }
            ],
            "next_cursor": None,
        }
    )

    items: list[AccessRecord]
    next_cursor: str | None


class Finding(ReadAnswer):
    """The first place where the log, its seal and the trusted checkpoints disagree."""

    position: int
    kind: str
    detail: str


class VerificationAnswer(ReadAnswer):
    """The hash chain recomputed over every stored event: `ok`, `tampered` or `unsealed`."""

    model_config = documented(
        {
            "status": "ok",
            "ok": True,
            "checked": 462,
            "log_head": 462,
            "chained_head": 462,
            "sealed_head": 462,
            "unsealed": 0,
            "unsealed_from": None,
            "checkpoints": 3,
            "trusted": 0,
            "finding": None,
        }
    )

    status: str
    ok: bool
    checked: int
    log_head: int
    chained_head: int
    sealed_head: int
    unsealed: int
    unsealed_from: int | None
    checkpoints: int
    trusted: int
    finding: Finding | None


class CheckpointAnswer(CheckpointBody):
    """The newest signed checkpoint, with the key that signed it."""

    model_config = documented(
        {
            "position": 462,
            "hash": HASH,
            "signed_at": "2025-06-01T10:00:00+00:00",
            "signature": SIGNATURE,
            "public_key": KEY,
            "algorithm": "Ed25519",
        }
    )

    public_key: str = Field(description="Raw 32 bytes, base64")
    algorithm: str


class PublicKeyAnswer(ReadAnswer):
    """The Ed25519 public key that signs checkpoints (raw 32 bytes, base64)."""

    model_config = documented({"algorithm": "Ed25519", "public_key": KEY})

    algorithm: str
    public_key: str


class HealthAnswer(ReadAnswer):
    """The process is up, and which one answered."""

    model_config = documented({"status": "ok", "process": 4711})

    status: str
    process: int


class Readiness(ReadAnswer):
    """A read model's (or the seal's) part of `/ready`, with the reason it is not ready."""

    position: int
    lag: int
    lag_seconds: float
    heartbeat_seconds_ago: float | None
    ready: bool
    reason: str | None = None
    detail: str | None = None


READY = {
    "position": 462,
    "lag": 0,
    "lag_seconds": 0.0,
    "heartbeat_seconds_ago": 0.2,
    "ready": True,
}


class ReadyAnswer(ReadAnswer):
    """Whether every read model and the seal is followed and close enough to the log head;
    not ready: why (`reason`, `detail`), for the whole or for each read model."""

    model_config = documented(
        {
            "ready": True,
            "head": 462,
            "checked_seconds_ago": 0.1,
            "read_models": {"caseloads": READY, "occupancy": READY},
            "seal": READY,
        },
        {"ready": False, "reason": "unchecked", "detail": "starting: not checked yet"},
    )

    ready: bool
    reason: str | None = None
    detail: str | None = None
    head: int | None = None
    checked_seconds_ago: float | None = None
    read_models: dict[str, Readiness] | None = None
    seal: Readiness | None = None
