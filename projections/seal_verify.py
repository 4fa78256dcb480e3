"""Verifying the audit chain against the stored events, its signed checkpoints, and the
checkpoints an auditor kept (trusted).

Chain rows alone prove nothing against someone who can write to the database: anyone can hash.
Only a signature does. So an event counts as sealed once a checkpoint signed at or after its
position holds; later events are reported as not yet sealed, never as "OK". A trusted checkpoint
proves that today's chain extends what the auditor saw: the log still reaches its position, the
recomputed chain there equals its hash, and the ledger still holds it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eventsourcing.persistence import ApplicationRecorder

from projections.checkpoints import Checkpoint
from projections.seal import GENESIS, AuditChain, link, stored_events

OK, TAMPERED, UNSEALED = "ok", "tampered", "unsealed"
# `ledger verify` exits with these (2 is argparse's, for a command line or file it cannot use).
EXIT_CODES = {OK: 0, TAMPERED: 1, UNSEALED: 3}


@dataclass(frozen=True)
class Finding:
    """The first place where the log, its seal and the trusted checkpoints disagree."""

    position: int
    # altered | removed | inserted | truncated | rewritten | checkpoint_removed
    # | checkpoint_mismatch | checkpoint_signature_invalid | trusted_signature_invalid
    kind: str
    detail: str


@dataclass(frozen=True)
class Verification:
    status: str  # ok | tampered | unsealed
    ok: bool
    checked: int  # events whose chain rows were recomputed and compared
    log_head: int
    chained_head: int  # the last position the seal hashed
    sealed_head: int  # the last position under a signed checkpoint that holds
    unsealed: int  # events after sealed_head
    unsealed_from: int | None
    checkpoints: int
    trusted: int
    finding: Finding | None


@dataclass
class _Scan:
    """What recomputing the chain over the stored events found."""

    checked: int = 0
    log_head: int = 0
    hashes: dict[int, str] = field(default_factory=dict)  # at the positions asked for
    after: list[int] = field(default_factory=list)  # first and count past a position
    finding: Finding | None = None


def verify(
    recorder: ApplicationRecorder,
    chain: AuditChain,
    public_key: Ed25519PublicKey,
    trusted: Sequence[Checkpoint] = (),
) -> Verification:
    """Recompute the chain from the stored events; name the first position that disagrees."""
    # In this order, each read holds all the one before covers (the seal runs meanwhile).
    checkpoints = chain.checkpoints()
    sealed = chain.chain()
    # After the chain: a switch recorded since was recorded with links the read above lacks.
    recorded = chain.v2_from()
    v2_from = recorded if recorded is not None else max(sealed, default=0) + 1
    signed_head = max((c.position for c in checkpoints), default=0)
    wanted = {c.position for c in checkpoints} | {c.position for c in trusted}
    scan = _scan(stored_events(recorder), sealed, wanted, signed_head, v2_from)
    finding = (
        scan.finding
        or _check_own(checkpoints, sealed, scan, public_key)
        or _check_trusted(sorted(trusted), checkpoints, scan, public_key)
    )
    unsealed = scan.after[1] if scan.after else 0
    status = TAMPERED if finding else UNSEALED if unsealed else OK
    return Verification(
        status=status,
        ok=status == OK,
        checked=scan.checked,
        log_head=scan.log_head,
        chained_head=max(sealed, default=0),
        sealed_head=signed_head,
        unsealed=unsealed,
        unsealed_from=scan.after[0] if scan.after else None,
        checkpoints=len(checkpoints),
        trusted=len(trusted),
        finding=finding,
    )


def _scan(
    events: Iterable[Any], sealed: dict[int, str], wanted: set[int], signed: int, v2_from: int
) -> _Scan:
    scan = _Scan()
    expected = iter(sorted(sealed))
    want = next(expected, None)
    previous = GENESIS
    for n in events:
        scan.log_head = n.id
        previous = link(
            previous, n.id, n.originator_id, n.originator_version, n.topic, n.state, v2_from
        )
        if n.id in wanted:
            scan.hashes[n.id] = previous.hex()
        if n.id > signed:
            scan.after = [scan.after[0], scan.after[1] + 1] if scan.after else [n.id, 1]
        if want is None:
            continue  # past the seal's head: the seal has not seen it (yet)
        if n.id < want:
            scan.finding = Finding(n.id, "inserted", "an event the seal never saw")
            return scan
        if n.id > want:
            scan.finding = Finding(want, "removed", "a sealed event is missing from the log")
            return scan
        scan.checked += 1
        if previous.hex() != sealed[want]:
            scan.finding = Finding(want, "altered", "the stored event differs from what was sealed")
            return scan
        want = next(expected, None)
    if want is not None:
        scan.finding = Finding(want, "removed", "a sealed event is missing from the log")
    return scan


def _check_own(
    checkpoints: list[Checkpoint],
    sealed: dict[int, str],
    scan: _Scan,
    public_key: Ed25519PublicKey,
) -> Finding | None:
    """The ledger's own checkpoints: signed by its key, and reached by the recomputed chain."""
    for checkpoint in checkpoints:
        position = checkpoint.position
        if not checkpoint.signed_by(public_key):
            return Finding(
                position, "checkpoint_signature_invalid", "not signed by the ledger's key"
            )
        if position not in scan.hashes:
            return Finding(
                position, "removed", f"a signed position the log no longer holds"
                f" (it ends at {scan.log_head})",
            )  # fmt: skip
        if scan.hashes[position] != checkpoint.hash or sealed.get(position) != checkpoint.hash:
            return Finding(
                position, "checkpoint_mismatch", "the chain differs from the signed checkpoint"
            )
    return None


def _check_trusted(
    trusted: list[Checkpoint],
    checkpoints: list[Checkpoint],
    scan: _Scan,
    public_key: Ed25519PublicKey,
) -> Finding | None:
    """Checkpoints the auditor kept: today's chain must extend every one of them."""
    held = {(c.position, c.hash) for c in checkpoints}
    holds_up_to = 0
    for checkpoint in trusted:
        position = checkpoint.position
        if not checkpoint.signed_by(public_key):
            return Finding(
                position, "trusted_signature_invalid",
                "the trusted checkpoint is not signed by the ledger's key",
            )  # fmt: skip
        if position > scan.log_head:
            return Finding(
                position, "truncated", f"the log ends at position {scan.log_head}, before this"
                " trusted checkpoint: events it covered were removed",
            )  # fmt: skip
        if position not in scan.hashes:
            return Finding(
                position, "removed", "the trusted checkpoint's position is missing from the log"
            )
        if scan.hashes[position] != checkpoint.hash:
            return Finding(
                position, "rewritten", "the chain differs from the trusted checkpoint: an event"
                f" after position {holds_up_to} and up to {position} changed since it was signed",
            )  # fmt: skip
        if (position, checkpoint.hash) not in held:
            return Finding(
                position, "checkpoint_removed",
                "the ledger no longer holds this signed checkpoint: deleted from its record",
            )  # fmt: skip
        holds_up_to = position
    return None


def summary(result: Verification) -> list[str]:
    """What `ledger verify` prints: the counts, then one verdict line."""
    lines = [
        f"checked {result.checked} events of the log (head {result.log_head}), hashed by the seal"
        f" up to {result.chained_head}, signed up to {result.sealed_head}"
        f" ({result.checkpoints} checkpoints; {result.trusted} trusted checkpoints given)"
    ]
    finding = result.finding
    if finding is not None:
        lines.append(f"TAMPERED at position {finding.position}: {finding.kind} ({finding.detail})")
    elif result.status == UNSEALED:
        lines.append(
            f"NOT SEALED from position {result.unsealed_from}: {result.unsealed} events after the"
            f" last signed checkpoint ({result.sealed_head}) are not yet sealed; until the next"
            " checkpoint, anyone who can write to the database could change them unnoticed."
            " Everything sealed holds."
        )
    else:
        lines.append(f"OK: every event up to position {result.log_head} is sealed and holds")
    return lines
