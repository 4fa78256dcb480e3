#!/usr/bin/env python3
"""Check an audit export of the ledger without the ledger: standard library plus `cryptography`.

    python verify_export.py EXPORT.ndjson [--public-key BASE64]

The export (`ledger export-audit FILE`) holds every stored event as stored, the hash the
ledger's seal recorded for each position, the signed checkpoints, and the ledger's public key.
Pass `--public-key` with the key you obtained yourself (GET /v1/audit/public-key, or from the
operator) so that nothing in the file is trusted. The script recomputes the hash chain over the
events in position order, names the first position where it departs from the seal (altered,
removed or inserted), and checks every checkpoint: its Ed25519 signature, and that the chain
reaches the signed hash. Exit 0 when everything holds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

GENESIS = bytes(32)


def link(previous: bytes, event: dict[str, Any]) -> bytes:
    """One link of the chain, exactly as the ledger's projections/seal.py computes it."""
    head = f"{event['position']}|{event['originator_id']}|{event['version']}|{event['topic']}|"
    return hashlib.sha256(previous + head.encode() + base64.b64decode(event["state"])).digest()


def check(lines: list[dict[str, Any]], public_key_b64: str | None) -> tuple[bool, str]:
    key_b64 = public_key_b64 or next((x["key"] for x in lines if x["kind"] == "public_key"), None)
    if not key_b64:
        return False, "no public key: pass --public-key"
    public_key = Ed25519PublicKey.from_public_bytes(base64.b64decode(key_b64))
    events = {x["position"]: x for x in lines if x["kind"] == "event"}
    sealed = {x["position"]: x["hash"] for x in lines if x["kind"] == "seal"}
    checkpoints = sorted(
        (x for x in lines if x["kind"] == "checkpoint"), key=lambda x: x["position"]
    )
    head = max(sealed, default=0)
    chain: dict[int, str] = {}
    previous = GENESIS
    for position in sorted(set(sealed) | {p for p in events if p <= head}):
        if position not in sealed:
            return False, f"position {position}: inserted (an event the seal never saw)"
        if position not in events:
            return False, f"position {position}: removed (a sealed event is missing)"
        previous = link(previous, events[position])
        chain[position] = previous.hex()
        if chain[position] != sealed[position]:
            return False, f"position {position}: altered (the event differs from what was sealed)"
    for cp in checkpoints:
        message = f"ledger-checkpoint|{cp['position']}|{cp['hash']}|{cp['signed_at']}".encode()
        try:
            public_key.verify(base64.b64decode(cp["signature"]), message)
        except InvalidSignature:
            return False, f"position {cp['position']}: checkpoint signature is not the ledger's"
        if chain.get(cp["position"]) != cp["hash"]:
            return False, f"position {cp['position']}: the chain differs from the signed checkpoint"
    if not checkpoints:
        return False, "no signed checkpoint in the export"
    return True, f"{len(chain)} sealed events, {len(checkpoints)} signed checkpoints: all hold"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("export")
    parser.add_argument("--public-key", help="Ed25519 public key, raw 32 bytes in base64")
    args = parser.parse_args()
    with open(args.export) as handle:
        lines = [json.loads(line) for line in handle if line.strip()]
    ok, message = check(lines, args.public_key)
    print(("OK: " if ok else "FAILED: ") + message)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
