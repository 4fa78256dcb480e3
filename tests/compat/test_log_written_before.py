"""A log written by the code before the redesign (e235f19) reads the same after it.

log.json holds the rows that code stored (events, snapshots, wrapped personal-data keys) and
answers.json what its API answered about them; make_fixture.py wrote both. Here the rows go into
a new store, unchanged, and the API on it must answer the same, replay the same idempotent
commands, take new commands on the snapshotted episode and facility, and verify the audit chain
against the checkpoint that code signed, its seal's rows beside the log as it left them.
"""

from __future__ import annotations

import base64
import json
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from uuid import UUID, uuid5

import psycopg
import pytest
from psycopg import sql

from api.keys import seal_signer
from api.store_env import read_model_env
from projections.seal import GENESIS, AuditChain, link, recorded_time
from store.read_store import ReadStore
from tests.api.conftest import Api, serve
from tests.conftest_stores import process_env, settings_for

HERE = Path(__file__).parent
LOG: dict[str, Any] = json.loads((HERE / "log.json").read_text())
ANSWERS: dict[str, Any] = json.loads((HERE / "answers.json").read_text())
IDS: dict[str, Any] = ANSWERS["ids"]
# The only part of an answer that differs between two runs over the same log: an outcomes
# report's seal footer names the checkpoint that the reading side signed, at a moment and a log
# position of its own run (checkpoints are not in the log). Ids, versions, positions, recorded
# times, request ids and cursors all come from the stored rows and must not differ. The chain
# those checkpoints sign is checked below instead, against the checkpoint the old code signed.
PER_RUN = ("seal",)
BARE_HEX_ID = re.compile(r"[0-9a-f]{32}")
# What the outcomes report has said since issue #19, beside what it said before: the indicators
# a program could set targets for and that no report showed, and each indicator's cohort.
ADDED_INDICATORS = {
    "mentors",
    "mentors_once_participants",
    "new_services",
    "skill_events",
    "services_delivered",
}
ADDED_FIELDS = {"cohort", "cohort_size"}


def stored(value: str) -> bytes:
    return base64.b64decode(value)


def insert_into_sqlite(folder: Path) -> None:
    """The rows as the old code stored them, in the files the settings name for this store."""
    with _connection(folder / "ledger.sqlite3") as conn:
        conn.executemany(
            "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                (pos, oid, version, topic, stored(s))
                for pos, oid, version, topic, s in LOG["events"]
            ],
        )
        conn.executemany(
            "INSERT INTO stored_snapshots (originator_id, originator_version, topic, state)"
            " VALUES (?, ?, ?, ?)",
            [(oid, version, topic, stored(s)) for oid, version, topic, s in LOG["snapshots"]],
        )
    with _connection(folder / "ledger.keys.sqlite3") as conn:
        conn.executemany(
            "INSERT INTO personal_data_keys (stream_id, wrapped) VALUES (?, ?)",
            LOG["personal_data_keys"],
        )


@contextmanager
def _connection(file: Path) -> Iterator[sqlite3.Connection]:
    assert file.exists(), f"the application made no {file.name}"
    conn = sqlite3.connect(file)
    try:
        with conn:
            yield conn
    finally:
        conn.close()


def insert_into_postgres(store_url: str) -> None:
    """The same rows in the library's PostgreSQL tables, then the log's sequence moved past them
    (as a restore does)."""
    url = urlsplit(store_url)
    schema = sql.Identifier(parse_qs(url.query)["schema"][0])
    with psycopg.connect(url._replace(query="").geturl()) as conn, conn.cursor() as cursor:
        cursor.executemany(
            sql.SQL(
                "INSERT INTO {}.ledger_events"
                " (notification_id, originator_id, originator_version, topic, state)"
                " VALUES (%s, %s, %s, %s, %s)"
            ).format(schema),
            [
                (pos, UUID(oid), version, topic, stored(s))
                for pos, oid, version, topic, s in LOG["events"]
            ],
        )
        cursor.executemany(
            sql.SQL(
                "INSERT INTO {}.ledger_snapshots (originator_id, originator_version, topic, state)"
                " VALUES (%s, %s, %s, %s)"
            ).format(schema),
            [(UUID(oid), version, topic, stored(s)) for oid, version, topic, s in LOG["snapshots"]],
        )
        cursor.executemany(
            sql.SQL(
                "INSERT INTO {}.personal_data_keys (stream_id, wrapped) VALUES (%s, %s)"
            ).format(schema),
            LOG["personal_data_keys"],
        )
        cursor.execute(
            sql.SQL("SELECT setval(pg_get_serial_sequence(%s, 'notification_id'), %s)"),
            (f"{parse_qs(url.query)['schema'][0]}.ledger_events", LOG["head"]),
        )


def seal_as_left(store_url: str, folder: Path) -> None:
    """The audit chain's rows as that code's seal left them beside the log: its links, of the
    first form (over each event's bytes; recomputed here, and equal to the hash its checkpoint
    signed), that checkpoint, and how far it had hashed. The seal goes on with links of the
    second form after them."""
    settings = settings_for(store_url, folder, **LOG["settings"])
    store = ReadStore(read_model_env(settings))
    seal = AuditChain(store, seal_signer(settings))
    previous, rows, second_from = GENESIS, [], LOG["head"] + 1
    for pos, oid, version, topic, state in LOG["events"]:
        previous = link(previous, pos, UUID(oid), version, topic, stored(state), second_from)
        rows.append((pos, previous.hex(), recorded_time(stored(state))))
    signed = ANSWERS["checkpoint"]
    assert (rows[-1][0], rows[-1][1]) == (signed["position"], signed["hash"])
    try:
        with store.transaction() as tx:
            tx.insert_rows(seal.t("chain"), rows)
            tx.execute(
                f"INSERT INTO {seal.t('checkpoints')} VALUES (?, ?, ?, ?)",
                (signed["position"], signed["hash"], signed["signed_at"], signed["signature"]),
            )
            # The empty ledger's seal began its chain with the second form: this one did not.
            tx.execute(f"DELETE FROM {seal.t('links')}")
            tx.execute(f"INSERT INTO {seal.t('links')} VALUES (2, ?)", (second_from,))
            tx.track(seal.tracking_name, LOG["head"])
    finally:
        store.close()


@contextmanager
def restored(store_url: str, folder: Path) -> Iterator[Api]:
    """The API on a new store holding the old rows, with the keys the old code used."""
    for name, key in LOG["secrets"].items():
        (folder / name).write_text(key)  # tests.conftest_stores.keys_in keeps existing files
    with serve(store_url, folder, **LOG["settings"]) as empty:  # the application makes its tables
        assert empty.log_head() == 0
    if store_url.startswith("sqlite"):
        insert_into_sqlite(folder)
    else:
        insert_into_postgres(store_url)
    seal_as_left(store_url, folder)
    with serve(store_url, folder, **LOG["settings"]) as api:
        assert api.log_head() == LOG["head"]
        yield api


@pytest.fixture
def api(store_url: str, tmp_path: Path) -> Iterator[Api]:
    with restored(store_url, tmp_path) as running:
        yield running


def get(api: Api, read: dict[str, Any]) -> dict[str, Any]:
    who = read["as"]
    response = api.http.get(
        read["path"],
        params=read["params"],
        headers=api.as_(who["role"], who["programs"], who["sub"]),
    )
    assert response.status_code == 200, (read["path"], response.text)
    body: dict[str, Any] = response.json()
    return body


def send(api: Api, path: str, body: dict[str, Any], role: str = "caseworker") -> Any:
    """A command as a caseworker (or admin) of both programs of the fixture."""
    return api.http.post(path, json=body, headers=api.as_(role, ["RURAL", "URBAN"], "compat-1"))


# Fields answers gained since that code (issue #19): added, so absent from its answers.
ADDED = ("on", "known_at", "counted_to", "people", "linked")


def comparable(body: dict[str, Any]) -> dict[str, Any]:
    return {k: _without_added(v) for k, v in body.items() if k not in PER_RUN + ADDED}


def corrected(name: str, body: dict[str, Any]) -> dict[str, Any]:
    """What that code should have answered where issue #19 found it wrong: a caseload "as of" a
    day took in entries dated later and left out an episode closed later, as of then open."""
    if name == "caseload":  # its last contact by 2025-11-02, not the one on 2025-11-26
        body["episodes"][0]["last_contact"] = "2025-11-02"
    if name == "caseload_changed":  # closed on 2025-09-08: still open, and theirs, on 07-25
        body["episodes"] = [
            {
                "episode_id": IDS["anna_episode"],
                "program_id": IDS["rural"],
                "participant_id": IDS["anna"],
                "opened_on": "2025-05-06",
                "last_contact": "2025-07-05",
            }
        ]
    return body


def _without_added(value: Any) -> Any:
    if isinstance(value, list):
        return [_without_added(item) for item in value]
    if isinstance(value, dict):
        return {k: _without_added(v) for k, v in value.items() if k not in ADDED}
    return value


def dashed(value: Any) -> Any:
    """An answer with its ids spelled as they are now: the old code spelled a participant's
    episodes (keys and values) as 32 bare hex digits, the only change of spelling made since.
    A request id is not a record's id but text as the client sent it (X-Request-ID): kept."""
    if isinstance(value, str) and BARE_HEX_ID.fullmatch(value):
        return str(UUID(value))
    if isinstance(value, dict):
        return {dashed(k): v if k == "request_id" else dashed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [dashed(v) for v in value]
    return value


def as_answered_now(first: dict[str, Any]) -> dict[str, Any]:
    """A command's first answer as it is given now: it also names the record the command wrote
    to and the event it wrote, which a replay of an answer stored before must name too."""
    path = first["path"]
    answer = first["first"]
    written_to = answer["id"]
    if path.startswith("/v1/episodes/") and path.count("/") > 3:  # a track's or entry's step
        written_to = path.split("/")[3]
    event_id = uuid5(UUID(written_to), str(answer["version"]))  # domain/tracks.py entry_id
    return {**answer, "aggregate_id": written_to, "event_id": str(event_id)}


# Facts an event gained since that code (issue #21: a job's hours a week), each with what the
# events it stored read as: a history line shows them, so they must say "not recorded".
GAINED_FACTS: dict[str, dict[str, Any]] = {"JobStarted": {"hours_per_week": None}}


def _without_gained(value: Any) -> Any:
    """History lines without the facts their events gained, having checked what they read as."""
    if isinstance(value, list):
        return [_without_gained(item) for item in value]
    if not isinstance(value, dict):
        return value
    gained = GAINED_FACTS.get(value.get("type", ""), {}) if "data" in value else {}
    if gained:
        data = value["data"]
        assert {k: data.get(k, "absent") for k in gained} == gained, value
        value = {**value, "data": {k: v for k, v in data.items() if k not in gained}}
    return {k: _without_gained(v) for k, v in value.items()}


def as_before(body: dict[str, Any]) -> dict[str, Any]:
    """An outcomes report without what was added since (which must be all that was added), and
    history lines without the facts their events gained."""
    body = _without_gained(body)
    if "indicators" not in body:
        return body
    kept = []
    for indicator in body["indicators"]:
        assert indicator.keys() >= ADDED_FIELDS, indicator
        if indicator["indicator"] not in ADDED_INDICATORS:
            kept.append({k: v for k, v in indicator.items() if k not in ADDED_FIELDS})
    return {**body, "indicators": kept}


def test_every_read_answers_as_before_and_a_retried_command_as_first(api: Api) -> None:
    recorded = {
        name: dashed(corrected(name, comparable(read["body"])))
        for name, read in ANSWERS["reads"].items()
    }
    answered = {
        name: as_before(comparable(get(api, read))) for name, read in ANSWERS["reads"].items()
    }

    differing = [name for name in recorded if answered[name] != recorded[name]]
    assert {n: answered[n] for n in differing} == {n: recorded[n] for n in differing}

    for sent in ANSWERS["idempotent"]:
        who = sent["as"]
        headers = {
            **api.as_(who["role"], who["programs"], who["sub"]),
            "Idempotency-Key": sent["key"],
        }
        again = api.http.post(sent["path"], json=sent["body"], headers=headers)
        assert (again.status_code, again.json()) == (200, as_answered_now(sent)), sent["path"]
    assert api.log_head() == LOG["head"], "a replay wrote to the log"


def test_snapshotted_aggregates_take_new_commands_and_the_old_checkpoint_still_holds(
    store_url: str, tmp_path: Path
) -> None:
    long_episode = ANSWERS["reads"]["episode_long"]["body"]
    episode = f"/v1/episodes/{IDS['boris_episode']}"
    (placement,) = [i["id"] for i in long_episode["items"] if i["kind"] == "placement"]
    with restored(store_url, tmp_path) as api:
        # `ledger verify --trusted` wants the old checkpoint (position and hash) among those
        # the ledger holds: it is, as the old seal left it.
        _wait_for_checkpoint(api, LOG["head"])
        # The placement began before the snapshot at version 250: the snapshot carries it.
        ended = send(
            api,
            f"{episode}/placements/{placement}/end",
            {"destination": "supported_living", "occurred_on": "2025-12-01"},
        )
        assert ended.status_code == 201, ended.text
        served = send(
            api,
            f"{episode}/services",
            {"kind": "mentoring", "settlement": "Miass", "occurred_on": "2025-12-02"},
        )
        assert served.status_code == 201, served.text
        assert served.json()["version"] == long_episode["version"] + 2

        hotel = IDS["hotel"]
        capacity = send(
            api,
            f"/v1/facilities/{hotel}/capacity",
            {"capacity": 6, "reason": "new wing", "occurred_on": "2025-12-01"},
            role="admin",
        )
        assert capacity.status_code == 201, capacity.text
        day = api.get(
            f"/v1/facilities/{hotel}/occupancy",
            on="2025-12-01",
            min_position=capacity.json()["position"],
        )
        assert (day.json()["capacity"], day.json()["residents"]) == (6, 2), day.text
        head = api.log_head()
        assert head == LOG["head"] + 4  # the episode twice, the flat once, the hotel once
        _wait_for_checkpoint(api, head)

    kept = tmp_path / "kept-by-the-auditor.json"
    kept.write_text(json.dumps(ANSWERS["checkpoint"]))
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "verify", f"--trusted={kept}"],
        env=process_env(store_url, tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _wait_for_checkpoint(api: Api, position: int) -> None:
    """Until the chain signed a checkpoint at `position` (every LOG settings' seconds)."""
    deadline = time.monotonic() + 20
    latest: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = api.get("/v1/audit/checkpoints/latest", role="auditor")
        latest = response.json()
        if response.status_code == 200 and latest["position"] == position:
            return
        time.sleep(0.05)
    raise AssertionError(f"no checkpoint at {position}: {latest}")
