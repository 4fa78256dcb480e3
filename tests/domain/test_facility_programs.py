"""A facility serves the programs it was registered for; one stored before that serves every one."""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent

import domain.ledger
from domain.base import Actor, DomainError, NotFoundError
from domain.commands import Context
from domain.facility import Facility
from domain.ledger import Ledger
from store.storage import LedgerStorage
from tests.domain.test_episode_snapshots import mapper
from tests.domain.test_fingerprints import KNOWN

LOG = json.loads((Path(__file__).parents[1] / "compat" / "log.json").read_text())
ADMIN = Actor("admin-1", "admin")
DAY = date(2024, 3, 1)


def stored(rows: list[list[object]]) -> list[StoredEvent]:
    return [
        StoredEvent(UUID(str(oid)), int(str(v)), str(topic), base64.b64decode(str(state)))
        for *_, oid, v, topic, state in rows
    ]


def test_a_facility_registered_before_programs_were_named_serves_every_program() -> None:
    registered = [e for e in stored(LOG["events"]) if e.topic == "ledger:Facility.Registered"]
    assert len(registered) == 2
    for event in registered:
        assert "programs" not in json.loads(event.state)
        facility = mapper().to_domain_event(event).mutate(None)
        assert isinstance(facility, Facility)
        assert facility.programs == []


def test_a_facility_snapshot_taken_before_programs_were_named_serves_every_program() -> None:
    snapshots = [
        s for s in stored(LOG["snapshots"]) if json.loads(s.state)["topic"] == "ledger:Facility"
    ]
    assert snapshots, "the fixture holds a facility's snapshot"
    for snapshot in snapshots:
        assert "programs" not in json.loads(snapshot.state)["state"]
        facility = mapper().to_domain_event(snapshot).mutate(None)
        assert isinstance(facility, Facility)
        assert (facility.programs, facility.capacity_on(date(9999, 1, 1)) >= 0) == ([], True)


def test_a_facility_keeps_each_program_it_serves_once_and_its_snapshot_keeps_them() -> None:
    first, second = uuid4(), uuid4()
    facility = Facility.register(
        kind="shelter", name="Shelter", settlement="Bredy", capacity=3, occurred_on=DAY,
        by=ADMIN, today=DAY, programs=[second, first, second],
    )  # fmt: skip
    assert sorted(facility.programs, key=str) == sorted([first, second], key=str)
    snapshot = mapper().to_stored_event(Facility.Snapshot.take(facility))
    again = mapper().to_domain_event(snapshot).mutate(None)
    assert isinstance(again, Facility)
    assert again.programs == facility.programs


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    ledger = Ledger({"PERSISTENCE_MODULE": "eventsourcing.popo"}, storage=LedgerStorage())
    yield ledger
    ledger.close()


def test_a_facility_cannot_serve_an_unknown_program(ledger: Ledger) -> None:
    with pytest.raises(NotFoundError):
        ledger.register_facility(
            Context(ADMIN), kind="shelter", name="S", settlement="Bredy", capacity=1,
            occurred_on=DAY, programs=[uuid4()],
        )  # fmt: skip


def _digest(ledger: Ledger, body: dict[str, Any]) -> str:
    """The fingerprint `register_facility` computes for this body (sent with a key)."""
    seen: list[str] = []
    original = domain.ledger.fingerprint

    def spy(command: str, arguments: Any, key: bytes) -> str:
        seen.append(original(command, arguments, key))
        return seen[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(domain.ledger, "fingerprint", spy)
        with contextlib.suppress(DomainError):
            ledger.register_facility(Context(ADMIN, idempotency_key=str(uuid4())), **body)
    return seen[0]


def test_naming_programs_changes_the_fingerprint_and_naming_none_does_not(ledger: Ledger) -> None:
    """A body without programs (as every client sent before) keeps its pinned digest."""
    [(_, _, body, pinned)] = [k for k in KNOWN if k[0] == "register_facility"]
    assert _digest(ledger, body) == _digest(ledger, {**body, "programs": []}) == pinned
    assert _digest(ledger, {**body, "programs": [uuid4()]}) != pinned
