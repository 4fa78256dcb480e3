"""The audit: who read whom, the chain's verification, the latest signed checkpoint, the key."""

from __future__ import annotations

import base64
from dataclasses import asdict
from typing import Annotated, Any
from uuid import UUID

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi import APIRouter, Depends, Request

from api import policy
from api.audit_answers import (
    AccessLogAnswer,
    CheckpointAnswer,
    PublicKeyAnswer,
    VerificationAnswer,
)
from api.auth import Principal
from api.deps import authenticate, components
from api.history import plain
from api.problems import PROBLEMS, ProblemError
from api.read_params import Cursor, Limit, page
from projections.seal_verify import verify


def public_key_b64(request: Request) -> str:
    key = components(request).seal.signer.public_key()
    return base64.b64encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def seal_footer(request: Request, position: int) -> dict[str, Any]:
    """The signed checkpoint that covers a report at `position`, printed with the report so that
    each report publishes it outside the database (`ledger verify --trusted` checks it later).

    The first checkpoint at or after the position, not the newest: the footer then never changes
    once the report is covered, and a report as known at a moment still reads byte for byte.
    """
    covering = components(request).seal.covering(position)
    if covering is None:
        return {
            "covered": False,
            "checkpoint": None,
            "note": f"not yet covered by a signed checkpoint: none at or after position"
            f" {position} yet",
        }
    return {
        "covered": True,
        "checkpoint": covering.as_dict(),
        "note": f"covered by the signed checkpoint at position {covering.position}"
        f" (hash {covering.hash}, signed at {covering.signed_at},"
        f" signature {covering.signature})",
    }


def router() -> APIRouter:
    audit = APIRouter(tags=["audit"], responses=PROBLEMS)

    @audit.get(
        "/v1/audit/access",
        operation_id="access_log",
        response_model=AccessLogAnswer,
        response_model_exclude_unset=True,
    )
    def access_log(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        participant: UUID,
        limit: Limit = 100,
        cursor: Cursor = None,
    ) -> dict[str, Any]:
        """Who read this participant's data or history, when, and why (admins and auditors)."""
        policy.check_access_log_reader(principal)
        records_of = components(request).access_log.of(participant)
        items, following = page([plain(r) for r in records_of], limit, cursor)
        return {"items": items, "next_cursor": following}

    @audit.get(
        "/v1/audit/verify",
        operation_id="verify_chain",
        response_model=VerificationAnswer,
        response_model_exclude_unset=True,
    )
    def verify_chain(
        request: Request, principal: Annotated[Principal, Depends(authenticate)]
    ) -> dict[str, Any]:
        """Recompute the hash chain over every stored event; name the first that disagrees.

        `status` is `ok`, `tampered` (see `finding`) or `unsealed`: events from `unsealed_from`
        on are not yet under a signed checkpoint (what is sealed holds)."""
        policy.check_auditor(principal)
        state = components(request)
        public_key = state.seal.signer.public_key()
        result = verify(state.ledger.recorder, state.seal, public_key)
        return asdict(result)

    @audit.get(
        "/v1/audit/checkpoints/latest",
        operation_id="latest_checkpoint",
        response_model=CheckpointAnswer,
        response_model_exclude_unset=True,
    )
    def latest_checkpoint(
        request: Request, principal: Annotated[Principal, Depends(authenticate)]
    ) -> dict[str, Any]:
        """The newest signed checkpoint: keep it, and later prove nothing before it changed."""
        policy.check_auditor(principal)
        checkpoint = components(request).seal.latest_checkpoint()
        if checkpoint is None:
            raise ProblemError(404, "not_found", "No checkpoint was signed yet")
        return {
            **checkpoint.as_dict(),
            "public_key": public_key_b64(request),
            "algorithm": "Ed25519",
        }

    @audit.get(
        "/v1/audit/public-key",
        operation_id="public_key",
        response_model=PublicKeyAnswer,
        response_model_exclude_unset=True,
    )
    def public_key(request: Request) -> dict[str, str]:
        """The Ed25519 public key that signs checkpoints (raw 32 bytes, base64)."""
        return {"algorithm": "Ed25519", "public_key": public_key_b64(request)}

    return audit
