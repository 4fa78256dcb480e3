"""Audit integrity: verify the chain, the latest signed checkpoint, the public key."""

from __future__ import annotations

import base64
from dataclasses import asdict
from typing import Annotated, Any

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi import APIRouter, Depends, Request

from api.auth import Principal
from api.deps import authenticate, components, require
from api.problems import PROBLEMS, ProblemError
from projections.seal import verify

AUDITORS = ("auditor", "admin")


def public_key_b64(request: Request) -> str:
    key = components(request).settings.seal_signer().public_key()
    return base64.b64encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def router() -> APIRouter:
    audit = APIRouter(tags=["audit"], responses=PROBLEMS)

    @audit.get("/v1/audit/verify", operation_id="verify_chain")
    def verify_chain(
        request: Request, principal: Annotated[Principal, Depends(authenticate)]
    ) -> dict[str, Any]:
        """Recompute the hash chain over every stored event; name the first that disagrees."""
        require(principal, *AUDITORS)
        state = components(request)
        public_key = state.settings.seal_signer().public_key()
        result = verify(state.ledger.recorder, state.seal, public_key)
        return asdict(result)

    @audit.get("/v1/audit/checkpoints/latest", operation_id="latest_checkpoint")
    def latest_checkpoint(
        request: Request, principal: Annotated[Principal, Depends(authenticate)]
    ) -> dict[str, Any]:
        """The newest signed checkpoint: keep it, and later prove nothing before it changed."""
        require(principal, *AUDITORS)
        checkpoint = components(request).seal.latest_checkpoint()
        if checkpoint is None:
            raise ProblemError(404, "not_found", "No checkpoint was signed yet")
        return {**checkpoint, "public_key": public_key_b64(request), "algorithm": "Ed25519"}

    @audit.get("/v1/audit/public-key", operation_id="public_key")
    def public_key(request: Request) -> dict[str, str]:
        """The Ed25519 public key that signs checkpoints (raw 32 bytes, base64)."""
        return {"algorithm": "Ed25519", "public_key": public_key_b64(request)}

    return audit
