"""For random records and definitions, outcome statuses agree four ways: from the live outcome
facts model, from a rebuild of it, recomputed from the stored log with nothing but
domain/outcome_rules.py (each stored event's class name and decoded state, its entry id from
its stream and version), and by the assessor's verifier (ops/audit/verify_claim.py) from the
package of a claim on every outcome achieved, on both stores."""

from __future__ import annotations

import base64
import tempfile
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.claim_basis import claim_lines
from api.claim_package import package_of
from domain.base import Actor
from domain.claim import Claim
from domain.episode import Episode
from domain.outcome_rules import Fact, definition_of, evaluate, fact_of
from domain.participant import Participant
from domain.personal_data import personal_data_id_for
from domain.program import Program
from domain.tracks import entry_id
from projections.follower import Follower
from projections.outcome_facts import OutcomeFacts
from projections.outcome_people import People
from projections.outcome_status import chosen, evidence_position, statuses
from projections.rebuild import rebuild
from projections.seal import AuditChain
from tests.api.claim_packages import verifier
from tests.projections import admin_commands
from tests.projections.conftest import Stores, open_stores

ACTOR = Actor("cw-1", "caseworker")
TODAY = date(2024, 6, 1)
START = date(2021, 1, 1)
AS_OF = date(2024, 5, 1)
DEFINITIONS: dict[str, dict[str, Any]] = {
    "no_return": {
        "name": "No admission for 12 months after a placement-free start: a job",
        "condition": {
            "kind": "sustained",
            "start": "job_started",
            "without": "institutional_admission",
            "months": 12,
        },
        "cohort": {"prior_residence": ["inpatient_institution"]},
    },
    "held": {
        "name": "A job held 6 months",
        "condition": {
            "kind": "sustained",
            "start": "job_started",
            "without": "job_ended",
            "months": 6,
            "same_track": True,
        },
        "window": {"start": "2021-03-01", "end": "2023-06-30"},
    },
    "withdrawn": {
        "name": "Application withdrawn",
        "condition": {"kind": "occurs", "fact": "application_withdrawn"},
    },
    "course": {
        "name": "A course completed within 30 days",
        "condition": {
            "kind": "within",
            "start": "course_enrolled",
            "fact": "course_completed",
            "days": 30,
        },
    },
}

days = st.integers(0, 1100)
person_ops = st.lists(
    st.tuples(
        st.sampled_from(
            ["job", "end_job", "course", "complete", "withdraw", "admit", "void", "link"]
        ),
        days,
    ),
    max_size=6,
)
people = st.lists(
    st.tuples(st.sampled_from(["inpatient_institution", "parental_family"]), person_ops),
    min_size=1,
    max_size=6,
)


def recorded(stores: Stores, world: list[tuple[str, list[tuple[str, int]]]]) -> UUID:
    """The program, its definitions and people as the operations say; the program's id."""
    program = Program.define(
        code=f"P-{uuid.uuid4().hex[:6]}", name="P", financing="social_impact",
        period_start=START, period_end=date(2024, 12, 31), targets={},
        course_start_limit_days=5, by=ACTOR, today=TODAY,
    )  # fmt: skip
    for key, definition in DEFINITIONS.items():
        program.define_outcome(key, definition, "contract", ACTOR, TODAY)
    stores.ledger.save(program)
    records: list[tuple[UUID, list[int]]] = []
    for residence, ops in world:
        person = Participant.register(
            target_groups=["mental_disability"], settlement="X", birth_year=1980,
            prior_residence=residence, by=ACTOR, today=TODAY,
        )  # fmt: skip
        stores.ledger.mapper.keyring.keys_for([personal_data_id_for(person.id)], create=True)  # type: ignore[attr-defined]
        person.record_consent("services", "C-1", START, ACTOR, TODAY)
        episode = Episode.open(
            participant=person, program=program, caseworker="cw-1", referral_source="x",
            occurred_on=START, by=ACTOR, today=TODAY,
        )  # fmt: skip
        jobs: list[UUID] = []
        courses: list[UUID] = []
        for op, offset in ops:
            on = START + timedelta(days=offset)
            if op == "job":
                jobs.append(uuid.uuid4())
                episode.start_job(jobs[-1], "open_market", "cleaner", on, ACTOR, TODAY)
            elif op == "end_job" and jobs:
                started = episode.tracks.get(jobs[-1])
                if started is not None and started.status == "started":
                    later = max(on, started.updated_on)
                    episode.end_job(jobs[-1], "left", later, ACTOR, TODAY)
            elif op == "course":
                courses.append(uuid.uuid4())
                episode.request_course(courses[-1], "Sewing", 72, "in_person", on, ACTOR, TODAY)
                episode.advance_course(courses[-1], "enrolled", "", on, ACTOR, TODAY)
            elif op == "complete" and courses:
                course = episode.tracks.get(courses[-1])
                if course is not None and course.status == "enrolled":
                    later = max(on, course.updated_on)
                    episode.advance_course(courses[-1], "completed", "", later, ACTOR, TODAY)
            elif op == "withdraw":
                person.withdraw_institutional_application("hospital", on, ACTOR, TODAY)
            elif op == "admit":
                person.record_institutional_admission("hospital", on, ACTOR, TODAY)
            elif op == "void" and person.voidable:
                version = max(person.voidable)
                person.void_entry(entry_id(person.id, version), "wrong", ACTOR, TODAY)
        stores.ledger.save(person, episode)
        records.append((person.id, [offset for op, offset in ops if op == "link"]))
    # Records found to be one person: each linked to an earlier one, as its operations say.
    for n, (record, links) in enumerate(records):
        for offset in links[:1] if n else []:
            admin_commands.link(stores.ledger, record, records[offset % n][0])
    return program.id


def from_the_log(stores: Stores, program_id: UUID) -> dict[str, dict[str, Any]]:
    """Statuses recomputed from stored events with outcome_rules alone."""
    ledger = stores.ledger
    facts: dict[str, list[Fact]] = {}
    voided: set[str] = set()
    residence: dict[str, str] = {}
    episode_of: dict[str, str] = {}
    links: list[tuple[str, str]] = []
    for notification in ledger.recorder.select_notifications(start=1, limit=100_000):
        event = ledger.mapper.to_domain_event(notification)
        name, state = type(event).__name__, vars(event)
        stream = notification.originator_id
        if name == "Registered" and "prior_residence" in state:
            residence[stream.hex] = state["prior_residence"]
        elif name == "Opened":
            episode_of[stream.hex] = state["participant_id"].hex
        elif name == "EntryVoided":
            voided.add(str(state["event_id"]))
        elif name == "Linked":
            links.append((stream.hex, state["other_id"].hex))
        entry = str(entry_id(stream, notification.originator_version))
        fact = fact_of(name, state, entry, state.get("occurred_on", START))
        if fact is not None:
            record = episode_of.get(stream.hex, stream.hex)
            facts.setdefault(record, []).append(fact)
    person = People(links)  # linked records are one person, under the smallest id
    program = ledger.load(Program, program_id)
    found: dict[str, dict[str, Any]] = {}
    for key, _, data in chosen(program.outcome_definitions):
        definition = definition_of(key, data)
        found[key] = {
            one: evaluate(
                definition,
                [
                    f
                    for record in person.members(one)
                    for f in facts.get(record, [])
                    if f.entry_id not in voided
                ],
                AS_OF,
            )
            for one in sorted({person(record) for record in residence})
            if any(
                definition.cohort.holds(residence[r], ["mental_disability"])
                for r in person.members(one)
            )
        }
    return found


def from_the_model(stores: Stores, program_id: UUID) -> dict[str, dict[str, Any]]:
    program = stores.ledger.load(Program, program_id)
    with OutcomeFacts(stores.read).reading() as reading:
        found = statuses(reading, program_id, chosen(program.outcome_definitions), AS_OF)
    return {status.key: status.people for status in found}


def from_the_package(stores: Stores, program_id: UUID) -> dict[str, dict[str, Any]]:
    """Statuses as the assessor's verifier makes them from a claim's package: the claim on
        every outcome achieved by AS_OF, which the verifier must reproduce line by line, its package
    holding every person of the program whole (a claim's own holds those it claims)."""
    signer = Ed25519PrivateKey.generate()
    seal = AuditChain(stores.read, signer, every_events=1, every_seconds=0)
    seal.create_tables()
    Follower(stores.ledger, seal).catch_up()
    program = stores.ledger.load(Program, program_id)
    definitions = chosen(program.outcome_definitions)
    with OutcomeFacts(stores.read).reading() as reading:
        found = statuses(reading, program_id, definitions, AS_OF)
        lines = [line for status in found for line in claim_lines(status, (START, AS_OF))]
        position = evidence_position(reading, [e for x in lines for e in x["evidence"]])
        people = sorted({UUID(p) for status in found for p in status.people})
    covering = seal.covering(position)  # a transaction of its own: after the reading's
    claim = Claim.submit(
        claim_id=uuid.uuid4(), program_id=program_id, period_start=START, period_end=AS_OF,
        known_at=datetime.now(UTC), definitions={k: v for k, v, _ in definitions},
        lines=lines, checkpoint=covering.as_dict() if covering else None, by=ACTOR, today=TODAY,
    )  # fmt: skip
    stores.ledger.save(claim)
    Follower(stores.ledger, seal).catch_up()
    # Everyone of the program held whole, to compare every status, not only those claimed.
    package = package_of(stores.ledger, seal, claim, people)
    module = verifier()
    key = base64.b64encode(signer.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
    module.check(package, module.read_key(key.decode()), [])  # every line reproduced
    events = module.check_chain(package, module.read_key(key.decode()), [])
    for event in events:
        if event.raw is not None:
            event.state = module.decoded(event.raw)
    rules = module.load_rules()
    record = module.record_of(rules, events, program_id, claim.known_at, AS_OF)
    return {
        key: {
            person.hex: module.status_of(
                rules, record, rules.definition_of(key, data), person, AS_OF
            )
            for person in record.members
            if module.status_of(rules, record, rules.definition_of(key, data), person, AS_OF)
        }
        for key, _, data in definitions
    }


def check(stores: Stores, world: list[tuple[str, list[tuple[str, int]]]]) -> None:
    program = recorded(stores, world)
    stores.project(OutcomeFacts)
    live = from_the_model(stores, program)
    rebuild(stores.ledger, stores.read, OutcomeFacts, batch=3)
    rebuilt = from_the_model(stores, program)
    recomputed = from_the_log(stores, program)
    assert by_hex(live) == by_hex(recomputed)
    assert rebuilt == live
    packaged = from_the_package(stores, program)
    assert as_text(by_hex(live)) == as_text(packaged)


def as_text(found: dict[str, dict[str, Any]]) -> dict[str, dict[str, str]]:
    """Statuses compared by what they say (the verifier's are its own module's objects)."""
    return {
        key: {p: f"{s.state} {s.on} {list(s.evidence)} {s.broken_by}" for p, s in people.items()}
        for key, people in found.items()
    }


def by_hex(found: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Statuses by person, each id spelled as 32 hex digits."""
    return {key: {UUID(p).hex: s for p, s in people.items()} for key, people in found.items()}


PROPERTY = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(people)
def test_live_rebuilt_and_recomputed_statuses_agree_on_sqlite(
    world: list[tuple[str, list[tuple[str, int]]]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        stores = open_stores(f"sqlite:///{folder}/ledger.sqlite3")
        try:
            check(stores, world)
        finally:
            stores.read.close()
            stores.ledger.close()


@settings(PROPERTY, max_examples=8)
@given(world=people)
def test_live_rebuilt_and_recomputed_statuses_agree_on_postgres(
    schemas: Any, world: list[tuple[str, list[tuple[str, int]]]]
) -> None:
    stores = open_stores(schemas())
    try:
        check(stores, world)
    finally:
        stores.read.close()
        stores.ledger.close()
