"""The audit export: every stored event as stored, the signed checkpoints, and the public key."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from eventsourcing.persistence import ApplicationRecorder

from projections.seal import AuditChain, stored_events


def export_audit(recorder: ApplicationRecorder, chain: AuditChain, path: Path) -> int:
    """Write NDJSON that ops/audit/verify_export.py checks without the ledger installed."""
    public_key = chain.signer.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    # Checkpoints, then chain rows, then events: each read then holds all that the one before
    # covers, and what commits meanwhile is only "not yet sealed", never "removed".
    checkpoints = chain.checkpoints()
    sealed = sorted(chain.chain().items())
    recorded = chain.v2_from()  # after the chain rows, as `ledger verify` reads it
    v2_from = recorded if recorded is not None else (sealed[-1][0] if sealed else 0) + 1
    written = 0
    with path.open("w") as out:
        out.write(json.dumps({"kind": "public_key", "algorithm": "Ed25519",
                              "key": base64.b64encode(public_key).decode()}) + "\n")  # fmt: skip
        out.write(json.dumps({"kind": "links", "v2_from": v2_from}) + "\n")
        for n in stored_events(recorder):
            out.write(json.dumps({
                "kind": "event", "position": n.id, "originator_id": str(n.originator_id),
                "version": n.originator_version, "topic": n.topic,
                "state": base64.b64encode(n.state).decode(),
            }) + "\n")  # fmt: skip
            written += 1
        for position, chain_hash in sealed:
            out.write(json.dumps({"kind": "seal", "position": position, "hash": chain_hash}) + "\n")
        for checkpoint in checkpoints:
            out.write(json.dumps({"kind": "checkpoint", **checkpoint.as_dict()}) + "\n")
    return written
