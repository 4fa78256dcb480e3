"""Idempotency keys: an index aggregate per key, saved in the same transaction as the command."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.base import Actor, DomainError, LedgerAggregate, stable_topics, stamp

IDEMPOTENCY_NAMESPACE = uuid5(NAMESPACE_URL, "urn:ledger:idempotency-key")
# Outside development the key is derived from the key-encryption key (api/bootstrap.py).
DEVELOPMENT_FINGERPRINT_KEY = b"ledger-development-fingerprints"


class IdempotencyKeyReusedError(DomainError):
    """The key was already used for a different command."""

    rule = "idempotency_key_reused"


def fingerprint(command: str, arguments: Mapping[str, Any], key: bytes) -> str:
    """A keyed digest of the command and its arguments, to tell a replay from a reused key.

    `arguments` name each value as the command's body field or path id does, never by a Python
    variable: a client retrying after a deploy must find the same digest. Keyed, because they may
    hold personal data: a plain hash of a name and a SNILS could be found again by trying
    candidates, and it stays in the store after the person is erased.
    """
    canonical = json.dumps([command, arguments], sort_keys=True, default=str)
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def idempotency_record_id(subject: str, key: str) -> UUID:
    """Keys are scoped to who sent them: two devices cannot collide on each other's keys."""
    return uuid5(IDEMPOTENCY_NAMESPACE, f"{subject}\n{key}")


@stable_topics("IdempotencyRecord")
class IdempotencyRecord(LedgerAggregate):
    """The first answer to a command sent with an idempotency key, and what that command was."""

    def __init__(self, fingerprint: str, result_id: UUID, result_version: int) -> None:
        self.fingerprint = fingerprint
        self.result_id = result_id
        self.result_version = result_version

    class Recorded(LedgerAggregate.Created):
        fingerprint: str
        result_id: UUID
        result_version: int

    @classmethod
    def record(
        cls,
        *,
        key: str,
        fingerprint: str,
        result_id: UUID,
        result_version: int,
        by: Actor,
        today: date,
    ) -> IdempotencyRecord:
        return cls._create(
            cls.Recorded,
            id=idempotency_record_id(by.subject, key),
            fingerprint=fingerprint,
            result_id=result_id,
            result_version=result_version,
            **stamp(by, today),
        )

    def check_same_command(self, fingerprint: str) -> None:
        if fingerprint != self.fingerprint:
            raise IdempotencyKeyReusedError("this idempotency key was used for another command")
