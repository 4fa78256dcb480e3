#!/usr/bin/env python3
"""Check an audit export of the ledger without the ledger: standard library plus `cryptography`.

    python verify_export.py EXPORT.ndjson [--public-key BASE64] [--trusted FILE ...]

The export (`ledger export-audit FILE`) holds every stored event as stored, the hash the
ledger's seal recorded for each position, the signed checkpoints, and the ledger's public key.
Pass `--public-key` with the key you obtained yourself (GET /v1/audit/public-key, or from the
operator) so that nothing in the file is trusted; without it, the key of the first --trusted
checkpoint that names one is used, and only then the export's own.

The script recomputes the hash chain over the events in position order (each link over the
event's head and the SHA-256 of its stored bytes; in a chain begun before that form, over the
bytes themselves up to the position the export's `links` line names), names the first position
where it departs from the seal (altered, removed or inserted), and checks every checkpoint: its
Ed25519 signature, and that the chain reaches the signed hash. Hashes alone prove nothing against
someone who could write to the database: an event counts as sealed once a signed checkpoint at or
after its position holds.

`--trusted FILE` (repeatable) takes checkpoints you kept: the JSON body of
GET /v1/audit/checkpoints/latest, or the checkpoint log the ledger appends to
(LEDGER_CHECKPOINT_LOG, one JSON line per checkpoint; every line is taken). For each, the log
must still reach its position, the recomputed chain there must equal its hash, and the export must
still hold it: an event rewritten with the chain re-hashed, cut events, or deleted checkpoints
fail here, naming the position.

Exit codes:
  0  OK: every event is sealed and the log matches its seal and every trusted checkpoint
  1  TAMPERED: the first position where they disagree is named
  2  the command line, the export or a --trusted file cannot be used
  3  NOT SEALED: what is sealed holds, but events after the last signed checkpoint (named from
     the first) are not yet sealed: a seal that lagged when the export was taken, or rows
     appended behind its back
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import sys
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

GENESIS = bytes(32)
OK, TAMPERED, UNUSABLE, UNSEALED = 0, 1, 2, 3


def link(previous: bytes, event: dict[str, Any], v2_from: int) -> bytes:
    """One link of the chain, exactly as the ledger's projections/seal.py computes it: from
    position `v2_from` on, over the SHA-256 of the event's stored bytes; before it, over them."""
    state = base64.b64decode(event["state"])
    if event["position"] >= v2_from:
        state = hashlib.sha256(state).digest()
    head = (event["position"], event["originator_id"], event["version"], event["topic"])
    return link_over(previous, *head, state)


def link_over(
    previous: bytes, position: int, originator_id: str, version: int, topic: str, data: bytes
) -> bytes:
    """A link over an event's head and `data`: its stored bytes (first form) or their SHA-256
    (second form)."""
    head = f"{position}|{originator_id}|{version}|{topic}|".encode()
    return hashlib.sha256(previous + head + data).digest()


def signed(public_key: Ed25519PublicKey, checkpoint: dict[str, Any]) -> bool:
    position, chain_hash = checkpoint["position"], checkpoint["hash"]
    message = f"ledger-checkpoint|{position}|{chain_hash}|{checkpoint['signed_at']}".encode()
    try:
        public_key.verify(base64.b64decode(checkpoint["signature"], validate=True), message)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


class TamperedError(Exception):
    """The first place where the export and its seal, or a trusted checkpoint, disagree."""


def check(
    lines: list[dict[str, Any]],
    public_key_b64: str | None,
    trusted: list[dict[str, Any]] | None = None,
) -> tuple[int, str]:
    """(exit code, message) for an export's lines and the checkpoints the auditor kept."""
    trusted = sorted(trusted or [], key=lambda x: int(x["position"]))
    key_b64 = (
        public_key_b64
        or next((x["public_key"] for x in trusted if x.get("public_key")), None)
        or next((x["key"] for x in lines if x["kind"] == "public_key"), None)
    )
    if not key_b64:
        return UNUSABLE, "no public key: pass --public-key"
    public_key = Ed25519PublicKey.from_public_bytes(base64.b64decode(key_b64))
    events = {x["position"]: x for x in lines if x["kind"] == "event"}
    sealed = {x["position"]: x["hash"] for x in lines if x["kind"] == "seal"}
    checkpoints = sorted(
        (x for x in lines if x["kind"] == "checkpoint"), key=lambda x: x["position"]
    )
    # Exports taken before the second form of link name no switch: every link is of the first.
    v2_from = next((int(x["v2_from"]) for x in lines if x["kind"] == "links"), 2**63)
    try:
        chain = recompute(events, sealed, v2_from)
        check_own(checkpoints, sealed, chain, public_key)
        check_trusted(trusted, checkpoints, chain, public_key)
    except TamperedError as finding:
        return TAMPERED, str(finding)
    sealed_head = max((cp["position"] for cp in checkpoints), default=0)
    unsealed = [p for p in events if p > sealed_head]
    counts = (
        f"{len(chain)} events, hashed up to {max(sealed, default=0)}, signed up to {sealed_head}"
        f" by {len(checkpoints)} checkpoints, {len(trusted)} trusted checkpoints"
    )
    if unsealed:
        return UNSEALED, (
            f"position {min(unsealed)}: not sealed ({len(unsealed)} events after the last signed"
            f" checkpoint at {sealed_head} are not yet sealed; everything sealed holds). {counts}"
        )
    return OK, f"{counts}: all hold"


def recompute(
    events: dict[int, dict[str, Any]], sealed: dict[int, str], v2_from: int
) -> dict[int, str]:
    """The chain over the events, compared with the seal's hashes as far as the seal went."""
    chained_head = max(sealed, default=0)
    chain: dict[int, str] = {}
    previous = GENESIS
    for position in sorted(set(sealed) | set(events)):
        if position not in events:
            raise TamperedError(f"position {position}: removed (a sealed event is missing)")
        previous = link(previous, events[position], v2_from)
        chain[position] = previous.hex()
        if position > chained_head:
            continue  # the seal has not hashed it: not sealed, reported by check()
        if position not in sealed:
            raise TamperedError(f"position {position}: inserted (an event the seal never saw)")
        if chain[position] != sealed[position]:
            raise TamperedError(
                f"position {position}: altered (the event differs from what was sealed)"
            )
    return chain


def check_own(
    checkpoints: list[dict[str, Any]],
    sealed: dict[int, str],
    chain: dict[int, str],
    public_key: Ed25519PublicKey,
) -> None:
    """The export's checkpoints: signed by the key, and reached by the recomputed chain."""
    for cp in checkpoints:
        position = cp["position"]
        if not signed(public_key, cp):
            raise TamperedError(f"position {position}: checkpoint signature is not the ledger's")
        if position not in chain:
            raise TamperedError(
                f"position {position}: removed (a signed position the log no longer holds;"
                f" it ends at {max(chain, default=0)})"
            )
        if chain[position] != cp["hash"] or sealed.get(position) != cp["hash"]:
            raise TamperedError(
                f"position {position}: the chain differs from the signed checkpoint"
            )


def check_trusted(
    trusted: list[dict[str, Any]],
    checkpoints: list[dict[str, Any]],
    chain: dict[int, str],
    public_key: Ed25519PublicKey,
) -> None:
    """Checkpoints the auditor kept: today's chain must extend every one of them."""
    held = {(cp["position"], cp["hash"]) for cp in checkpoints}
    log_head = max(chain, default=0)
    holds_up_to = 0
    for cp in trusted:
        position = int(cp["position"])
        if not signed(public_key, cp):
            raise TamperedError(
                f"position {position}: trusted_signature_invalid (the trusted checkpoint is not"
                " signed by the ledger's key)"
            )
        if position > log_head:
            raise TamperedError(
                f"position {position}: truncated (the log ends at position {log_head}, before"
                " this trusted checkpoint: events it covered were removed)"
            )
        if position not in chain:
            raise TamperedError(
                f"position {position}: removed (the trusted checkpoint's position is missing)"
            )
        if chain[position] != cp["hash"]:
            raise TamperedError(
                f"position {position}: rewritten (the chain differs from the trusted checkpoint:"
                f" an event after position {holds_up_to} and up to {position} changed since"
                " it was signed)"
            )
        if (position, cp["hash"]) not in held:
            raise TamperedError(
                f"position {position}: checkpoint_removed (the export no longer holds this"
                " signed checkpoint)"
            )
        holds_up_to = position


def read_trusted(path: str) -> list[dict[str, Any]]:
    """One JSON object (GET /v1/audit/checkpoints/latest) or JSON lines (the checkpoint log)."""
    with open(path) as handle:
        text = handle.read()
    try:
        whole = json.loads(text)
        found = whole if isinstance(whole, list) else [whole]
    except json.JSONDecodeError:
        found = [json.loads(line) for line in text.splitlines() if line.strip()]
    for cp in found:
        if not isinstance(cp, dict) or not {"position", "hash", "signed_at", "signature"} <= set(
            cp
        ):
            raise ValueError(f"{path}: a checkpoint needs position, hash, signed_at, signature")
    if not found:
        raise ValueError(f"{path}: no checkpoint in it")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("export")
    parser.add_argument("--public-key", help="Ed25519 public key, raw 32 bytes in base64")
    parser.add_argument(
        "--trusted", action="append", default=[], metavar="FILE", help="checkpoints you kept"
    )
    args = parser.parse_args()
    try:
        with open(args.export) as handle:
            lines = [json.loads(line) for line in handle if line.strip()]
        trusted = [cp for path in args.trusted for cp in read_trusted(path)]
    except (OSError, ValueError) as error:  # json's decode error is a ValueError
        print(f"UNUSABLE: {error}")
        return UNUSABLE
    code, message = check(lines, args.public_key, trusted)
    verdict = {OK: "OK", TAMPERED: "FAILED", UNSEALED: "NOT SEALED", UNUSABLE: "UNUSABLE"}[code]
    print(f"{verdict}: {message}")
    return code


if __name__ == "__main__":
    sys.exit(main())
