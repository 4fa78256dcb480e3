"""The idempotency fingerprint of each command, pinned: a client retrying after a deploy gets its
replay, not "key reused", so no refactoring may change what a known body digests to."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import suppress
from datetime import date
from typing import Any
from uuid import UUID

import pytest

import domain.ledger
from domain.base import Actor, DomainError
from domain.commands import Context
from domain.ledger import Ledger
from domain.vocabulary import Financing, ServiceKind
from store.storage import LedgerStorage

CTX = Context(Actor("cw-7", "caseworker", "req-1"), idempotency_key="key-1")
EPISODE = UUID("6f1c2a34-0d5e-4b8a-9c1f-2e3d4c5b6a70")
PARTICIPANT = UUID("1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d")
PROGRAM = UUID("0b9f8e7d-6c5b-4a39-8281-706f5e4d3c2b")
FACILITY = UUID("9e8d7c6b-5a49-4837-9261-5e4f3a2b1c0d")
TRACK = UUID("5c4b3a29-1807-4f6e-9d4c-3b2a19087f6e")
EVENT = UUID("2d3e4f50-6172-4839-a4b5-c6d7e8f90a1b")
DAY = date(2024, 3, 1)

# (method, positional ids, keyword body, the digest the code computed before the redesign)
KNOWN: list[tuple[str, tuple[Any, ...], dict[str, Any], str]] = [
    (
        "define_program",
        (),
        {
            "code": "STEP",
            "name": "Step by step",
            "financing": Financing.GRANT,
            "period_start": date(2024, 1, 1),
            "period_end": date(2024, 12, 31),
            "targets": {"served": 200, "housed": 50},
        },
        "892d54a493dda3c324c270eb563fa2b9e32cffa8687f7fc9964011194a3b38b0",
    ),
    (
        "define_program",
        (),
        {
            "code": "FAR",
            "name": "Far north",
            "financing": "budget",
            "period_start": date(2024, 1, 1),
            "period_end": date(2025, 6, 30),
            "targets": {},
            "course_start_limit_days": 45,
        },
        "75da930844271c6c313542ea306f8bbc6234090c23a35c09d0a857d790201850",
    ),
    (
        "revise_targets",
        (PROGRAM,),
        {"targets": {"housed": 60, "served": 10}, "reason": "grant amended"},
        "ecc504e730e362539677a456ea46a55388fbb5ddce32fc2a3d33ba25ea55a883",
    ),
    (
        "register_facility",
        (),
        {
            "kind": "social_hotel",
            "name": "Hotel",
            "settlement": "Kopeysk",
            "capacity": 4,
            "occurred_on": DAY,
        },
        "1a2976c017859b2ac2dc80f4d4b0dde328ed718d2e24c859c0155bd3fc70b2c9",
    ),
    (
        "change_capacity",
        (FACILITY,),
        {"capacity": 5, "reason": "new room", "occurred_on": DAY},
        "102ead9e32e20cd66dc523b46393b9798e0af5c19519d8bacd4b600299383f1d",
    ),
    (
        "register_participant",
        (),
        {
            "target_groups": ["orphan_care_leaver"],
            "settlement": "Kopeysk",
            "birth_year": 2004,
            "prior_residence": "orphan_care",
        },
        "7d9364f87e58598573d3aa209283ba9c36a0e3b457e4dc8909e74105a6052972",
    ),
    (
        "register_participant",
        (),
        {
            "target_groups": ["orphan_care_leaver", "homeless"],
            "settlement": "Kopeysk",
            "birth_year": 2004,
            "prior_residence": "orphan_care",
            "personal_data": {"full_name": "Test Person", "snils": "112-233-445 95"},
        },
        "ebae89a7912bd19f0d60e4c9c6a301c37118a6c5aa7075a57f0dec84e1cc3d93",
    ),
    (
        "register_participant",
        (),
        {
            "target_groups": [],
            "settlement": "Kopeysk",
            "birth_year": 1990,
            "prior_residence": "own_home",
            "personal_data": None,
        },
        "82154e14ca9e111cc1b340a9e43ac7e43c89c1a133cac858e592fa45c59868fb",
    ),
    (
        "correct_personal_data",
        (PARTICIPANT,),
        {
            "changes": {"phone": "+7 900", "address": None},
            "reason": "new phone",
            "occurred_on": DAY,
        },
        "869ad58a5d8976ceb27d43084a1894e4740f1f21797ca74751d4d69307d799d2",
    ),
    (
        "erase_participant",
        (PARTICIPANT,),
        {"reason": "asked to be forgotten"},
        "e15142e0b5ae6795620a34b48a4290c849b1aaf95cd17768f57d725f7d5be2f9",
    ),
    (
        "record_consent",
        (PARTICIPANT,),
        {"scope": "services", "document_ref": "C-1", "occurred_on": DAY},
        "fe60dca6f1e5523cfa5b36a201b1d0597c71846d5cd42af70acacf4fc9237c8b",
    ),
    (
        "withdraw_consent",
        (PARTICIPANT,),
        {"scope": "services", "occurred_on": DAY},
        "d2d042586417abc994eb620dcc63f36456eb04fcc05fbb345a3a9219c1252e6d",
    ),
    (
        "withdraw_institutional_application",
        (PARTICIPANT,),
        {"institution_kind": "orphanage", "occurred_on": DAY},
        "fff01adf85b605821590aeea1120e3ff43e1d7bfcea0289a8697240688fb43f0",
    ),
    (
        "record_institutional_admission",
        (PARTICIPANT,),
        {"institution_kind": "psychoneurological_boarding_home", "occurred_on": DAY},
        "65f732a66a61a9d86131e0a968a899abe2c0df415a0303da2ff12f2241bdc5d9",
    ),
    (
        "open_episode",
        (),
        {
            "participant_id": PARTICIPANT,
            "program_id": PROGRAM,
            "caseworker": "cw-7",
            "referral_source": "self",
            "occurred_on": DAY,
        },
        "e393b69c6ca3eca439484ed0641474c685ab29bdfac60e5a74f4390010c5866c",
    ),
    (
        "assign_caseworker",
        (EPISODE,),
        {"caseworker": "cw-9", "occurred_on": DAY},
        "ee3fb30c3f4142ac6c05d2fd2ad0fa7d8edddb2036dd880223b09df81648c623",
    ),
    (
        "record_assessment",
        (EPISODE,),
        {
            "stage": "intake",
            "instrument": "SSM",
            "scores": {"housing": 2, "income": 1},
            "occurred_on": DAY,
        },
        "f480d01875dd773e0d293b094e4e0459cbb41902d72e79ff2ebd3936654a3267",
    ),
    (
        "agree_plan",
        (EPISODE,),
        {"goals": ["housing", "work"], "review_on": None, "occurred_on": DAY},
        "e8c881cddee29610a840477b5e3a07b76bcd3a86ba5fc1a0fa117a736339d9e3",
    ),
    (
        "agree_plan",
        (EPISODE,),
        {"goals": [], "review_on": date(2024, 6, 1), "occurred_on": DAY},
        "4cd72c86253f4beef5410a60218eb32657c5c4cb2cc2b14719846ae0509bbcef",
    ),
    (
        "deliver_service",
        (EPISODE,),
        {
            "kind": ServiceKind.CONSULTATION_PSYCHOLOGIST,
            "quantity": 1,
            "settlement": "Kopeysk",
            "occurred_on": DAY,
        },
        "0e96941ca6660799402c6e5af64f9f98a37a950d78fdc2a7f756b171cb256b95",
    ),
    (
        "assign_mentor",
        (EPISODE,),
        # The body changed in issue 19 (a mentor is a person the ledger knows): a new pin.
        {"mentor_staff": "M-3", "occurred_on": DAY},
        "2f7b70d4fed2b41728803fd4616c14aa471d97d9fbab9e5301766d04176597fa",
    ),
    (
        "deliver_service",
        (EPISODE,),
        # A kind of the program's own catalogue (issue 19).
        {"kind": "peer_group", "quantity": 2, "settlement": "Kopeysk", "occurred_on": DAY},
        "869fd0576da8e4d52f9dd5e737653f9ce23d9c28a51d1289ba0033708ffa685b",
    ),
    (
        "define_program",
        (),
        # With services and cohorts of its own (issue 19); without them, the pins above hold.
        {
            "code": "CAT",
            "name": "Catalogue",
            "financing": "grant",
            "period_start": date(2024, 1, 1),
            "period_end": date(2024, 12, 31),
            "targets": {},
            "services": [{"kind": "laundry", "name": "Laundry", "unit": "load"}],
            "cohorts": [{"indicator": "housed", "target_groups": ["homeless"], "reason": "why"}],
        },
        "e54d83b979290cdbb1d1821234afb512817fbe9e797e416fa7740e4228659edc",
    ),
    (
        "add_service",
        (PROGRAM,),
        {
            "kind": "peer_group",
            "name": "Peer group",
            "unit": "meeting",
            "indicator": "skill_events",
        },
        "b56780ee33c908e8e44e5e27e01cccf2d79298df062c78768133d76ee116d27f",
    ),
    (
        "add_service",
        (PROGRAM,),
        {"kind": "laundry", "name": "Laundry", "unit": "load", "occurred_on": DAY},
        "05296baea1f6b5ece6b7f23a6d8f7d5f615597cd6cbd5aef734139c34848e40d",
    ),
    (
        "define_cohort",
        (PROGRAM,),
        {
            "indicator": "no_return_to_institution",
            "prior_residence": ["inpatient_institution"],
            "target_groups": [],
            "reason": "boarding home leavers",
        },
        "5e4b93e6e77afe880109dcad3a7f22f5ab22dd6ede35173839a8e9a6bfd7772e",
    ),
    (
        "void_entry",
        (EPISODE, EVENT),
        {"reason": "entered twice"},
        "9eb7ca1444eaad0cc531a62dc545f1c5598ae1e1d62922fe44b62273757dc558",
    ),
    (
        "close_episode",
        (EPISODE,),
        {"reason": "goals_achieved", "destination": "own_home", "occurred_on": DAY},
        "e4ea7091024364b95bea35d8b8f5fa7f71372fcf4d54a138557cdff8500a5ed1",
    ),
    (
        "make_referral",
        (EPISODE,),
        {"specialist": "psychologist", "occurred_on": DAY},
        "302e074365a266e4a49c16842726fdd028a92776f70b3163ab7f09ca909b90b4",
    ),
    (
        "answer_referral",
        (EPISODE, TRACK),
        {"answer": "accepted", "occurred_on": DAY},
        "774913adf10587e0b2b9203e673cc7c536755e4845d9970b5ac501df5abcd26e",
    ),
    (
        "answer_referral",
        (EPISODE, TRACK),
        {"answer": "declined", "reason": "no slots", "occurred_on": DAY},
        "163628277f3d91108132a575da8c465363af3fbdd163f1eed2c216904712a7ba",
    ),
    (
        "start_placement",
        (EPISODE,),
        {"facility_id": FACILITY, "occurred_on": DAY},
        "956a5fd2e24d5ce0ac02b7d8f3b330b96b96e43115fe8a2641e804c481322c48",
    ),
    (
        "end_placement",
        (EPISODE, TRACK),
        {"destination": "independent_living", "occurred_on": DAY},
        "3e30aa2109729e553dc1e478fc84934929d724ec124155335619c67a2dc1efb5",
    ),
    (
        "request_course",
        (EPISODE,),
        {"title": "Cooking", "hours": 36, "course_format": "in_person", "occurred_on": DAY},
        "792dcbb1faf16f9a62c2c6a26a0d9c8b2f2f8535429135307fa82f95301a5c2e",
    ),
    (
        "advance_course",
        (EPISODE, TRACK),
        {"to": "enrolled", "occurred_on": DAY},
        "6df004a25ac3a75c615f405db8b1aaec075e150041237e97df6c0827e96db02f",
    ),
    (
        "advance_course",
        (EPISODE, TRACK),
        {"to": "dropped", "reason": "moved away", "occurred_on": DAY},
        "7ed4d1265f808c60b14547538bc863f77062f0c2182426a9f2174e16fad2cd47",
    ),
    (
        "start_job",
        (EPISODE,),
        {"employment": "open_market", "occupation": "baker", "occurred_on": DAY},
        "bba1449d7f3a8820d30bc91f7a6f493bbc210181a3af8edfd91772109f1f2a17",
    ),
    (
        "start_job",
        (EPISODE,),
        # Hours a week came in issue 21: named only when given, so the body above kept its pin.
        {
            "employment": "open_market",
            "occupation": "baker",
            "occurred_on": DAY,
            "hours_per_week": 20,
        },
        "b8a4164124e4cd33d270d2848b02de6b08415bf06c32c8054d635e46379fa1af",
    ),
    (
        "end_job",
        (EPISODE, TRACK),
        {"reason": "contract ended", "occurred_on": DAY},
        "05c72f3a07f532fe4ac4d43f77b5d478b102ea5806e5896ff88c177b519959a7",
    ),
]


@pytest.fixture
def digest_of() -> Iterator[Callable[[str, tuple[Any, ...], dict[str, Any]], str]]:
    """Sends a command with an idempotency key to a Ledger on an empty store, and tells the
    fingerprint it computed (the command itself is refused: nothing it names exists)."""
    ledger = Ledger({"PERSISTENCE_MODULE": "eventsourcing.popo"}, storage=LedgerStorage())
    seen: list[str] = []
    original = domain.ledger.fingerprint

    def spy(command: str, params: Any, key: bytes) -> str:
        seen.append(original(command, params, key))
        return seen[-1]

    def digest(method: str, ids: tuple[Any, ...], body: dict[str, Any]) -> str:
        seen.clear()
        with suppress(DomainError):
            getattr(ledger, method)(CTX, *ids, **body)
        assert len(seen) == 1
        return seen[0]

    patch = pytest.MonkeyPatch()
    patch.setattr(domain.ledger, "fingerprint", spy)
    yield digest
    patch.undo()
    ledger.close()


@pytest.mark.parametrize(("method", "ids", "body", "pinned"), KNOWN)
def test_a_known_command_body_keeps_its_fingerprint(
    digest_of: Callable[[str, tuple[Any, ...], dict[str, Any]], str],
    method: str,
    ids: tuple[Any, ...],
    body: dict[str, Any],
    pinned: str,
) -> None:
    assert digest_of(method, ids, body) == pinned
