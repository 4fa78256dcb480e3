"""Given/when/then for aggregates: build state by commands, then see what one command adds."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar
from uuid import UUID, uuid4

import pytest

from domain.base import Actor, DomainError
from domain.episode import Episode
from domain.facility import Facility
from domain.participant import Participant
from domain.program import Program

TODAY = date(2024, 6, 1)
ADMIN = Actor("admin-1", "admin", "req-admin")
CASEWORKER = Actor("cw-7", "caseworker", "req-cw")

T = TypeVar("T")


def settled(aggregate: T) -> T:
    """The aggregate with its pending events taken away: what is 'given'."""
    aggregate.collect_events()  # type: ignore[attr-defined]
    return aggregate


def then_events(aggregate: Any, when: Callable[[], object]) -> list[Any]:
    """Run the command and return exactly the events it added."""
    when()
    return list(aggregate.collect_events())


def then_refused(error: type[DomainError], aggregate: Any, when: Callable[[], object]) -> None:
    """The command raises the named error and adds no event."""
    with pytest.raises(error):
        when()
    assert aggregate.collect_events() == []


def replayed(aggregate: Any, events: list[Any]) -> Any:
    """Rebuild an aggregate from its events alone, as the repository does."""
    rebuilt = None
    for event in events:
        rebuilt = event.mutate(rebuilt)
    assert type(rebuilt) is type(aggregate)
    return rebuilt


def a_program(**overrides: Any) -> Program:
    fields: dict[str, Any] = {
        "code": "STEP",
        "name": "Step by step",
        "financing": "grant",
        "period_start": date(2024, 1, 1),
        "period_end": date(2024, 12, 31),
        "targets": {"served": 200, "housed": 50, "consulted": 150, "trained": 40},
        "course_start_limit_days": 5,
        "by": ADMIN,
        "today": TODAY,
    }
    return settled(Program.define(**{**fields, **overrides}))


def a_participant(consent: bool = True) -> Participant:
    participant = Participant.register(
        target_groups=["orphan_care_leaver"],
        settlement="Kopeysk",
        birth_year=2004,
        prior_residence="orphan_care",
        by=CASEWORKER,
        today=TODAY,
    )
    if consent:
        participant.record_consent("services", "C-17", date(2024, 2, 1), CASEWORKER, TODAY)
    return settled(participant)


def a_facility(capacity: int = 2, since: date = date(2024, 1, 1)) -> Facility:
    return settled(
        Facility.register(
            kind="social_hotel",
            name="Social hotel No. 1",
            settlement="Chelyabinsk",
            capacity=capacity,
            occurred_on=since,
            by=ADMIN,
            today=TODAY,
        )
    )


def an_episode(opened_on: date = date(2024, 2, 1)) -> Episode:
    return settled(
        Episode.open(
            participant=a_participant(),
            program=a_program(),
            caseworker="cw-7",
            referral_source="orphanage graduate service",
            occurred_on=opened_on,
            by=CASEWORKER,
            today=TODAY,
        )
    )


def new_id() -> Any:
    return uuid4()


def job_started_at_version_1(
    job_id: UUID, occurred_on: date, class_version: int | None = None
) -> bytes:
    """A JobStarted's stored state as the code before issue 21 wrote it: no hours a week, and
    no `class_version` (the library writes it only above 1)."""
    state: dict[str, Any] = {
        "timestamp": {"_type_": "datetime_iso", "_data_": "2025-07-05T09:30:00.000000+00:00"},
        "occurred_on": {"_type_": "date_iso", "_data_": occurred_on.isoformat()},
        "recorded_by": "caseworker-1",
        "recorded_role": "caseworker",
        "request_id": "req-v1",
        "job_id": {"_type_": "uuid_hex", "_data_": job_id.hex},
        "employment": "open_market",
        "occupation": "baker",
    }
    if class_version is not None:
        state["class_version"] = class_version
    return json.dumps(state, separators=(",", ":")).encode()
