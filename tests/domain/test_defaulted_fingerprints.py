"""A date the sender left out (given today by the API) is fingerprinted as left out: the same
request with the same key replays on any later day, and differs from one naming the date."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

import domain.ledger
from domain.base import DomainError
from domain.ledger import Ledger
from domain.vocabulary import ServiceKind
from store.storage import LedgerStorage
from tests.domain.test_fingerprints import CTX, EPISODE

DAY = date(2024, 3, 1)
BODY = {"kind": ServiceKind.HOME_CARE, "quantity": 1, "settlement": "Kopeysk"}


@pytest.fixture
def digests() -> Iterator[tuple[Ledger, list[tuple[str, Any]]]]:
    """A Ledger on an empty store, and the fingerprints (with the arguments) it computed."""
    ledger = Ledger({"PERSISTENCE_MODULE": "eventsourcing.popo"}, storage=LedgerStorage())
    seen: list[tuple[str, Any]] = []
    original = domain.ledger.fingerprint

    def spy(command: str, arguments: Any, key: bytes) -> str:
        seen.append((original(command, arguments, key), dict(arguments)))
        return seen[-1][0]

    patch = pytest.MonkeyPatch()
    patch.setattr(domain.ledger, "fingerprint", spy)
    yield ledger, seen
    patch.undo()
    ledger.close()


def send(ledger: Ledger, on: date, defaulted: bool) -> None:
    ctx = replace(CTX, defaulted=frozenset({"occurred_on"}) if defaulted else frozenset())
    with suppress(DomainError):  # nothing it names exists: only its fingerprint matters
        ledger.deliver_service(ctx, EPISODE, occurred_on=on, **BODY)


def test_a_date_left_out_digests_the_same_on_any_day(
    digests: tuple[Ledger, list[tuple[str, Any]]],
) -> None:
    ledger, seen = digests
    send(ledger, DAY, defaulted=True)
    send(ledger, DAY + timedelta(days=1), defaulted=True)
    (first, arguments), (second, _) = seen
    assert first == second
    assert arguments["occurred_on"] is None


def test_a_date_left_out_digests_unlike_the_same_date_sent(
    digests: tuple[Ledger, list[tuple[str, Any]]],
) -> None:
    ledger, seen = digests
    send(ledger, DAY, defaulted=True)
    send(ledger, DAY, defaulted=False)
    (left_out, _), (sent, arguments) = seen
    assert left_out != sent
    assert arguments["occurred_on"] == DAY
