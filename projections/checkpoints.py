"""Signed checkpoints: what one states, how its signature is checked, and where it is published.

The checkpoint log (LEDGER_CHECKPOINT_LOG) is the record a database writer cannot rewrite: one
JSON object a line, appended and fsynced after the checkpoint's transaction commits. An auditor
keeps it, or the body of GET /v1/audit/checkpoints/latest, and hands either to `--trusted`.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def checkpoint_message(position: int, chain_hash: str, signed_at: str) -> bytes:
    """The bytes a checkpoint signs. ops/audit/verify_export.py builds exactly the same."""
    return f"ledger-checkpoint|{position}|{chain_hash}|{signed_at}".encode()


@dataclass(frozen=True, order=True)
class Checkpoint:
    """A signed statement: the chain over the log up to `position` hashes to `hash`."""

    position: int
    hash: str
    signed_at: str
    signature: str  # Ed25519 over checkpoint_message(), base64

    def signed_by(self, public_key: Ed25519PublicKey) -> bool:
        try:
            public_key.verify(
                base64.b64decode(self.signature, validate=True),
                checkpoint_message(self.position, self.hash, self.signed_at),
            )
        except (InvalidSignature, ValueError):  # ValueError: not base64 at all
            return False
        return True

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def append_to_log(path: Path, checkpoints: Sequence[Checkpoint]) -> None:
    """Append checkpoints to the log file, one JSON line each, and fsync before returning."""
    data = "".join(json.dumps(c.as_dict()) + "\n" for c in checkpoints).encode()
    created = not path.exists()
    # O_APPEND: one write lands after whatever is there, even if the file was opened elsewhere.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:  # the new file's name must survive a crash too
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


class TrustedFileError(ValueError):
    """A --trusted file that holds no usable checkpoint."""


def read_trusted(path: Path) -> list[Checkpoint]:
    """The checkpoints of a --trusted file: one JSON object (the body of
    GET /v1/audit/checkpoints/latest), or JSON lines (the checkpoint log)."""
    try:
        text = path.read_text()
    except OSError as error:
        raise TrustedFileError(f"{path}: {error.strerror}") from None
    try:
        whole = json.loads(text)
        objects = whole if isinstance(whole, list) else [whole]
    except json.JSONDecodeError:
        try:
            objects = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as error:
            raise TrustedFileError(f"{path}: not JSON ({error})") from None
    checkpoints = []
    for n, item in enumerate(objects, start=1):
        try:
            checkpoints.append(
                Checkpoint(
                    int(item["position"]),
                    str(item["hash"]),
                    str(item["signed_at"]),
                    str(item["signature"]),
                )
            )
        except (KeyError, TypeError, ValueError):
            raise TrustedFileError(
                f"{path}: checkpoint {n} needs position, hash, signed_at and signature"
            ) from None
    if not checkpoints:
        raise TrustedFileError(f"{path}: no checkpoint in it")
    return checkpoints
