"""Outcome statuses of 10,000 people under 5 definitions, beside the rebuild of their facts.

    python ops/bench/outcomes.py [--people 10000]

(`make bench` runs it once after the other measurements.) One program's people are saved as
the ledger saves them, in large batches: each registered, consenting and in an episode, most
with a job (some ended), half with a course (most completed, some late), the people at home
half with an application for inpatient care withdrawn, one in ten admitted to an institution.
Five definitions cover the three kinds of condition. Measured: `statuses` of the program on a
day, from the outcome facts model, against the rebuild of that model over the same events (the
ratio says what a status costs beside following the log). Then a claim on every outcome
achieved: the time to build its package and its size, and the time the assessor's verifier takes
over it, against raw PostgreSQL reading and hashing the same span of the log.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import importlib.util
import json
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "ops" / "bench")]

import psycopg  # noqa: E402
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat  # noqa: E402
from run import fresh_database, settings_for  # noqa: E402

from api.bootstrap import Components, build  # noqa: E402
from api.claim_basis import claim_lines  # noqa: E402
from api.claim_package import package_of  # noqa: E402
from domain.base import Actor  # noqa: E402
from domain.claim import Claim  # noqa: E402
from domain.episode import Episode  # noqa: E402
from domain.participant import Participant  # noqa: E402
from domain.personal_data import personal_data_id_for  # noqa: E402
from domain.program import Program  # noqa: E402
from projections.follower import Follower  # noqa: E402
from projections.outcome_facts import OutcomeFacts  # noqa: E402
from projections.outcome_status import OutcomeStatus, chosen, statuses  # noqa: E402
from projections.rebuild import rebuild  # noqa: E402

ACTOR = Actor("bench", "caseworker")
TODAY = date.today()
START = date(2020, 1, 1)
DEFINITIONS: dict[str, dict[str, Any]] = {
    "job": {
        "name": "Job started on the open market or in a supported workshop",
        "condition": {
            "kind": "occurs",
            "fact": "job_started",
            "where": {"employment": ["open_market", "supported_workshop"]},
        },
    },
    "job_held": {
        "name": "A job held 6 months",
        "condition": {
            "kind": "sustained",
            "start": "job_started",
            "without": "job_ended",
            "months": 6,
            "same_track": True,
        },
    },
    "no_return": {
        "name": "No admission for 12 months after starting work",
        "condition": {
            "kind": "sustained",
            "start": "job_started",
            "without": "institutional_admission",
            "months": 12,
        },
        "cohort": {"prior_residence": ["inpatient_institution"]},
    },
    "withdrawn": {
        "name": "Application for inpatient care withdrawn",
        "condition": {"kind": "occurs", "fact": "application_withdrawn"},
        "cohort": {"prior_residence": ["parental_family"]},
    },
    "course": {
        "name": "A course completed within 30 days of enrolment",
        "condition": {
            "kind": "within",
            "start": "course_enrolled",
            "fact": "course_completed",
            "days": 30,
        },
    },
}


def day(rng: random.Random, within: int = 900) -> date:
    return START + timedelta(days=rng.randrange(30, within))


def a_person(program: Program, rng: random.Random) -> tuple[Participant, Episode]:
    residence = rng.choice(["inpatient_institution", "parental_family"])
    person = Participant.register(
        target_groups=["mental_disability"],
        settlement="Chelyabinsk",
        birth_year=1985,
        prior_residence=residence,
        by=ACTOR,
        today=TODAY,
    )
    person.record_consent("services", "C-1", START, ACTOR, TODAY)
    episode = Episode.open(
        participant=person,
        program=program,
        caseworker="cw-1",
        referral_source="outreach",
        occurred_on=START + timedelta(days=10),
        by=ACTOR,
        today=TODAY,
    )
    if rng.random() < 0.6:
        job, started = uuid.uuid4(), day(rng)
        employment = rng.choice(["open_market", "supported_workshop"])
        episode.start_job(job, employment, "cleaner", started, ACTOR, TODAY)
        if rng.random() < 0.3:
            ended = started + timedelta(days=rng.randrange(1, 400))
            episode.end_job(job, "seasonal", ended, ACTOR, TODAY)
    if rng.random() < 0.5:
        course, requested = uuid.uuid4(), day(rng)
        episode.request_course(course, "Sewing", 72, "in_person", requested, ACTOR, TODAY)
        episode.advance_course(course, "enrolled", "", requested, ACTOR, TODAY)
        if rng.random() < 0.8:
            done = requested + timedelta(days=rng.randrange(5, 60))
            episode.advance_course(course, "completed", "", done, ACTOR, TODAY)
    if residence == "parental_family" and rng.random() < 0.5:
        person.withdraw_institutional_application(
            "psychoneurological_boarding_home", day(rng), ACTOR, TODAY
        )
    if rng.random() < 0.1:
        person.record_institutional_admission("hospital", day(rng, 1200), ACTOR, TODAY)
    return person, episode


def outcomes_bench(people: int = 10_000) -> dict[str, float]:
    rng = random.Random(20)
    with fresh_database() as url, tempfile.TemporaryDirectory() as tmp:
        components = build(settings_for(url, Path(tmp)), follow_in_process=False)
        ledger = components.ledger
        program = Program.define(
            code="BENCH-OUTCOMES", name="Bench", financing="social_impact",
            period_start=START, period_end=date(2024, 12, 31), targets={},
            course_start_limit_days=5, by=ACTOR, today=TODAY,
        )  # fmt: skip
        for key, definition in DEFINITIONS.items():
            program.define_outcome(key, definition, "the contract", ACTOR, TODAY)
        ledger.save(program)
        keyring = ledger.mapper.keyring  # type: ignore[attr-defined]
        for start in range(0, people, 1000):
            made = [a_person(program, rng) for _ in range(min(1000, people - start))]
            keyring.keys_for([personal_data_id_for(p.id) for p, _ in made], create=True)
            ledger.save(*(aggregate for pair in made for aggregate in pair))
        events = ledger.recorder.max_notification_id() or 0
        started = time.perf_counter()
        rebuild(ledger, components.store, OutcomeFacts)
        rebuilt = time.perf_counter() - started
        model = OutcomeFacts(components.store)
        definitions = chosen(program.outcome_definitions)
        timings, counted = [], 0
        for _ in range(3):
            started = time.perf_counter()
            with model.reading() as reading:
                found = statuses(reading, program.id, definitions, date(2024, 12, 31))
            timings.append(time.perf_counter() - started)
            counted = sum(len(status.people) for status in found)
        package = package_measured(components, url, program, found)
        components.close()
    return {
        "people": people,
        "events": events,
        "statuses": counted,
        "status_s": sorted(timings)[1],
        "rebuild_s": rebuilt,
        **package,
    }


def package_measured(
    components: Components, url: str, program: Program, found: list[OutcomeStatus]
) -> dict[str, float]:
    """A claim on every outcome achieved: its package built and verified, and the raw
    read of the same span of the log."""
    ledger, seal = components.ledger, components.seal

    def sealed() -> dict[str, Any]:
        """Everything recorded so far, under a signed checkpoint."""
        Follower(ledger, seal).catch_up()
        position, chain_hash = max(seal.chain().items())
        with components.store.transaction() as tx:
            seal.sign(tx, position, chain_hash)
        return {"position": position, "hash": chain_hash}

    covering = sealed()
    checkpoint = next(c for c in seal.checkpoints() if c.position == covering["position"])
    lines = [line for s in found for line in claim_lines(s, (START, date(2024, 12, 31)))]
    claim = Claim.submit(
        claim_id=uuid.uuid4(), program_id=program.id, period_start=START,
        period_end=date(2024, 12, 31), known_at=datetime.now(UTC),
        definitions={s.key: s.version for s in found}, lines=lines,
        checkpoint=checkpoint.as_dict(), by=ACTOR, today=TODAY,
    )  # fmt: skip
    ledger.save(claim)
    sealed()
    started = time.perf_counter()
    package = package_of(ledger, seal, claim)
    built = time.perf_counter() - started
    data = json.dumps(package).encode()
    verifier = _verifier()
    key = base64.b64encode(seal.signer.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
    started = time.perf_counter()
    verifier.check(package, verifier.read_key(key.decode()), [])
    verified = time.perf_counter() - started
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT notification_id, originator_id, originator_version, topic, state"
            " FROM ledger_events WHERE notification_id >= %s ORDER BY notification_id",
            (package["start"],),
        ).fetchall()
        digests = [hashlib.sha256(row[4]).digest() for row in rows]
    raw = time.perf_counter() - started
    return {
        "lines": len(lines),
        "package_mb": len(data) / 1e6,
        "package_gz_mb": len(gzip.compress(data)) / 1e6,
        "whole": len(package["events"]),
        "entries": len(digests),
        "package_s": built,
        "verify_s": verified,
        "raw_s": raw,
    }


def _verifier() -> Any:
    """ops/audit/verify_claim.py, loaded as the assessor runs it (beside verify_export.py)."""
    sys.path.insert(0, str(ROOT / "ops" / "audit"))
    spec = importlib.util.spec_from_file_location(
        "verify_claim", ROOT / "ops/audit/verify_claim.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["verify_claim"] = module
    spec.loader.exec_module(module)
    return module


def printed(r: dict[str, float]) -> str:
    return (
        f"  outcome status of {r['people']:,.0f} people under 5 definitions"
        f" ({r['statuses']:,.0f} statuses): {r['status_s']:.2f} s (median of 3); rebuild of the"
        f" outcome facts over the same {r['events']:,.0f} events {r['rebuild_s']:.2f} s;"
        f" ratio {r['status_s'] / r['rebuild_s']:.2f}\n"
        f"  claim package of {r['lines']:,.0f} lines: built in {r['package_s']:.2f} s,"
        f" {r['package_mb']:.1f} MB ({r['package_gz_mb']:.1f} MB gzipped;"
        f" {r['whole']:,.0f} of {r['entries']:,.0f} events whole); verified offline in"
        f" {r['verify_s']:.2f} s; raw PostgreSQL reading and hashing the same span"
        f" {r['raw_s']:.2f} s; ratios {r['package_s'] / r['raw_s']:.1f} (build),"
        f" {r['verify_s'] / r['raw_s']:.1f} (verify)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=10_000)
    args = parser.parse_args()
    print(printed(outcomes_bench(args.people)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
