"""A small world for store tests: program, facility, consenting participant, open episode."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.base import Actor
from domain.commands import Context
from domain.episode import Episode
from domain.ledger import Ledger
from tests.snils import a_snils

ADMIN = Context(Actor("admin-1", "admin", "req-a"))
CASEWORKER = Context(Actor("cw-7", "caseworker", "req-c"))
MARCH = date(2024, 3, 1)


@dataclass
class World:
    program: UUID
    facility: UUID
    participant: UUID
    episode: UUID


def a_participant(ledger: Ledger) -> UUID:
    participant = ledger.register_participant(
        CASEWORKER,
        target_groups=["orphan_care_leaver"],
        settlement="Kopeysk",
        birth_year=2004,
        prior_residence="orphan_care",
        personal_data={"full_name": "Test Person", "snils": a_snils()},
    ).id
    ledger.record_consent(
        CASEWORKER, participant, scope="services", document_ref="C-1", occurred_on=MARCH
    )
    return participant


def an_episode(ledger: Ledger, program: UUID) -> UUID:
    return ledger.open_episode(
        CASEWORKER,
        participant_id=a_participant(ledger),
        program_id=program,
        caseworker="cw-7",
        referral_source="self",
        occurred_on=MARCH,
    ).id


def a_facility(ledger: Ledger, capacity: int) -> UUID:
    return ledger.register_facility(
        ADMIN,
        kind="social_hotel",
        name="Social hotel",
        settlement="Chelyabinsk",
        capacity=capacity,
        occurred_on=date(2024, 1, 1),
    ).id


def a_world(ledger: Ledger, capacity: int = 1, code: str = "STEP") -> World:
    program = ledger.define_program(
        ADMIN,
        code=code,
        name="Step by step",
        financing="grant",
        period_start=date(2024, 1, 1),
        period_end=date(2024, 12, 31),
        targets={"served": 200, "housed": 50, "consulted": 150, "trained": 40},
    ).id
    episode = an_episode(ledger, program)
    participant = ledger.load(Episode, episode).participant_id
    return World(program, a_facility(ledger, capacity), participant, episode)
