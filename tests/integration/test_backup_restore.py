"""A logical backup restored into a new database, as ops/runbooks/backup.md does it: the audit
chain proves the restored log against a checkpoint kept before the dump, every read model rebuilt
from it equals what the original showed at the dump, and people erased after the dump are erased
again from the erasure list, which lives outside the backup. PostgreSQL only: `pg_dump -Fc` of the
whole database, `pg_restore` into a fresh one, the operator's commands in processes of their own.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import psycopg
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from psycopg import sql

from api.bootstrap import audit_chain, ledger_for
from api.keys import seal_signer
from api.settings import Settings
from api.store_env import read_model_env
from domain.ledger import Ledger
from domain.personal_data import PersonalData, personal_data_id_for
from domain.vocabulary import Residence, TargetGroup
from projections.follower import Follower
from projections.registry import READ_MODELS
from store.read_store import ReadStore
from tests.conftest_stores import TODAY, process_env, settings_for
from tests.integration.scenario import ADMIN, CASEWORKER, MARCH, World, a_world
from tests.snils import a_snils

Rows = dict[str, list[tuple[Any, ...]]]


def _required(reason: str) -> None:
    """Skip a test that needs the PostgreSQL client tools, except in CI, where it must run."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; CI needs them (apt-get install postgresql-client)")
    pytest.skip(reason)


@pytest.fixture
def new_database(postgres_url: str) -> Iterator[Callable[[], str]]:
    """Makes empty databases on the test server (the ledger's own, as in production, and the
    one a backup is restored into); drops them afterwards. Checks first that pg_dump can dump
    that server: it refuses a server of a newer major version than its own."""
    for tool in ("pg_dump", "pg_restore"):
        if shutil.which(tool) is None:
            _required(f"{tool} is not installed")
    version = subprocess.run(["pg_dump", "--version"], capture_output=True, text=True, check=True)
    client = int(re.findall(r"\d+", version.stdout)[0])
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        row = admin.execute("SHOW server_version_num").fetchone()
    server = int(row[0]) // 10000 if row else 0
    if client < server:
        _required(f"pg_dump {client} cannot dump a PostgreSQL {server} server")
    made: list[str] = []

    def make() -> str:
        name = f"ledger_backup_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        made.append(name)
        return urlsplit(postgres_url)._replace(path=f"/{name}").geturl()

    yield make
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        for name in made:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def a_person(ledger: Ledger, program: UUID, name: str) -> tuple[UUID, UUID]:
    """A consenting person with personal data and an open episode: (participant, episode)."""
    participant = ledger.register_participant(
        CASEWORKER,
        target_groups=[TargetGroup.HOMELESS],
        settlement="Kopeysk",
        birth_year=1980,
        prior_residence=Residence.STREET,
        personal_data={"full_name": name, "snils": a_snils(), "phone": "+7 900 000 00 00"},
    ).id
    ledger.record_consent(
        CASEWORKER, participant, scope="services", document_ref="C-2", occurred_on=MARCH
    )
    episode = ledger.open_episode(
        CASEWORKER,
        participant_id=participant,
        program_id=program,
        caseworker="cw-7",
        referral_source="self",
        occurred_on=MARCH,
    ).id
    return participant, episode


def a_small_world(ledger: Ledger) -> tuple[World, UUID, tuple[UUID, UUID]]:
    """A program, a facility, three people with personal data and services, one of them placed:
    the world, Vera (erased after the dump) and Oleg with his episode."""
    world = a_world(ledger, capacity=2)
    vera, vera_episode = a_person(ledger, world.program, "Vera Sokolova")
    oleg, oleg_episode = a_person(ledger, world.program, "Oleg Petrov")
    ledger.start_placement(CASEWORKER, oleg_episode, facility_id=world.facility, occurred_on=MARCH)
    for episode in (world.episode, vera_episode, oleg_episode):
        services(ledger, episode, 3)
    return world, vera, (oleg, oleg_episode)


def services(ledger: Ledger, episode: UUID, count: int) -> None:
    for n in range(count):
        ledger.deliver_service(
            CASEWORKER,
            episode,
            kind="home_care",
            quantity=1 + n % 3,
            settlement="Bredy",
            occurred_on=date(2024, 3, 2 + n),
        )


def follow(settings: Settings) -> None:
    """Every read model and the seal caught up with the log, as `ledger project` keeps them."""
    ledger = ledger_for(settings, clock=lambda: TODAY)
    store = ReadStore(read_model_env(settings))
    try:
        models = [model_class(store) for model_class in READ_MODELS.values()]
        seal = audit_chain(settings, store, seal_signer(settings))
        for model in [*models, seal]:
            model.create_tables()
        Follower(ledger, *models).catch_up()
        Follower(ledger, seal).catch_up()  # signs at the head: checkpoint_every_seconds=0
    finally:
        store.close()
        ledger.close()


def keep_latest_checkpoint(settings: Settings, kept: Path) -> int:
    """What an auditor keeps: the body of GET /v1/audit/checkpoints/latest; its position."""
    signer = seal_signer(settings)
    store = ReadStore(read_model_env(settings))
    try:
        latest = audit_chain(settings, store, signer).latest_checkpoint()
    finally:
        store.close()
    assert latest is not None
    public_key = signer.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    body = {
        **latest.as_dict(),
        "public_key": base64.b64encode(public_key).decode(),
        "algorithm": "Ed25519",
    }
    kept.write_text(json.dumps(body))
    return latest.position


def read_model_rows(database: str) -> Rows:
    """Every row of every read model's live tables, by model and table (not generation)."""
    rows: Rows = {}
    live = generations(database)
    with psycopg.connect(database) as pg:
        for name, model in READ_MODELS.items():
            for table in model.TABLES:
                found = pg.execute(f"SELECT * FROM {name}_g{live.get(name, 0)}_{table}")
                rows[f"{name}.{table}"] = sorted(found.fetchall(), key=repr)
    return rows


def generations(database: str) -> dict[str, int]:
    """The live generation of each read model rebuilt at least once (0 for the others)."""
    with psycopg.connect(database) as pg:
        rows = pg.execute("SELECT name, generation FROM read_model_generations").fetchall()
    return {str(name): int(generation) for name, generation in rows}


def wrapped_key(database: str, participant: UUID) -> str:
    """The person's row of the key table, as stored ("" once their key is destroyed)."""
    with psycopg.connect(database) as pg:
        row = pg.execute(
            "SELECT wrapped FROM personal_data_keys WHERE stream_id = %s",
            (str(personal_data_id_for(participant)),),
        ).fetchone()
    assert row is not None
    return str(row[0])


def personal_data(settings: Settings, *people: UUID) -> list[dict[str, Any]]:
    """What a new process of the ledger reads of these people's data."""
    ledger = ledger_for(settings, clock=lambda: TODAY)
    try:
        return [ledger.load(PersonalData, personal_data_id_for(p)).fields for p in people]
    finally:
        ledger.close()


def ledger_command(database: str, keys: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`ledger ...` in a process of its own, as an operator runs it after a restore."""
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        env=process_env(database, keys),
        cwd=keys,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_a_restored_dump_holds_its_seal_rebuilds_the_same_read_models_and_forgets_later_erasures(
    new_database: Callable[[], str], tmp_path: Path
) -> None:
    keys, outside = tmp_path / "keys", tmp_path / "outside"
    keys.mkdir()
    outside.mkdir()
    # Outside the database, as the runbook keeps them: the erasure list and the checkpoint log.
    erasures, published = outside / "erasures.list", outside / "checkpoints.ndjson"
    kept_apart = {"erasure_list_file": erasures, "checkpoint_log": published}
    original = new_database()
    settings = settings_for(original, keys, checkpoint_every_seconds=0, **kept_apart)
    ledger = ledger_for(settings, clock=lambda: TODAY)
    world, vera, (oleg, oleg_episode) = a_small_world(ledger)
    follow(settings)
    kept = outside / "checkpoint-before-the-dump.json"
    kept_at = keep_latest_checkpoint(settings, kept)
    assert kept_at == ledger.recorder.max_notification_id()

    dump = tmp_path / "ledger.dump"
    subprocess.run(["pg_dump", "-Fc", "-f", str(dump), "-d", original], check=True)
    at_the_dump = read_model_rows(original)
    filled = {table.split(".")[0] for table, rows in at_the_dump.items() if rows}
    assert filled == set(READ_MODELS), {table: len(rows) for table, rows in at_the_dump.items()}

    ledger.erase_participant(ADMIN, vera, reason="the person asked")
    services(ledger, oleg_episode, 2)
    nina, _ = a_person(ledger, world.program, "Nina Orlova")  # unknown to the backup
    ledger.erase_participant(ADMIN, nina, reason="the person asked")
    ledger.close()
    follow(settings)
    assert personal_data(settings, vera) == [{"erased": True}]

    restored = new_database()
    subprocess.run(["pg_restore", "--exit-on-error", "-d", restored, str(dump)], check=True)
    restored_settings = settings_for(restored, keys, checkpoint_every_seconds=0)
    # The backup brings Vera's key back: nobody may read the restored copy before this.
    assert personal_data(restored_settings, vera)[0]["full_name"] == "Vera Sokolova"

    reapplied = ledger_command(restored, keys, "erasures", "reapply", str(erasures))

    assert reapplied.returncode == 0, reapplied.stderr
    assert f"recorded again: {vera}" in reapplied.stdout
    assert f"unknown to this log: {nina}" in reapplied.stdout
    assert wrapped_key(restored, vera) == ""
    assert wrapped_key(restored, oleg) != ""
    vera_data, *others = personal_data(restored_settings, vera, oleg, world.participant)
    assert vera_data == {"erased": True}
    assert [data["full_name"] for data in others] == ["Oleg Petrov", "Test Person"]

    # The re-applied erasure is a new event: sealed once the seal has followed it.
    unsealed = ledger_command(restored, keys, "verify", f"--trusted={kept}")
    assert unsealed.returncode == 3, unsealed.stdout + unsealed.stderr
    assert f"NOT SEALED from position {kept_at + 1}" in unsealed.stdout
    follow(restored_settings)
    verified = ledger_command(restored, keys, "verify", f"--trusted={kept}")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"OK: every event up to position {kept_at + 1} is sealed" in verified.stdout
    # Checkpoints the original signed after the dump name what the restore lost.
    lost = ledger_command(restored, keys, "verify", f"--trusted={published}")
    assert lost.returncode == 1, lost.stdout + lost.stderr
    assert f"truncated (the log ends at position {kept_at + 1}," in lost.stdout

    restored_generations = generations(restored)
    rebuilt = ledger_command(restored, keys, "rebuild", "--all")

    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert all(
        generation > restored_generations.get(name, 0)
        for name, generation in generations(restored).items()
    )
    assert set(generations(restored)) == set(READ_MODELS)
    assert read_model_rows(restored) == at_the_dump
