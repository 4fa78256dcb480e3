"""Tampering behind the ledger's back is found, at the right position, online and offline."""

from __future__ import annotations

import base64
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from psycopg import sql

from api.audit_export import export_audit
from api.bootstrap import ledger_for
from api.keys import seal_signer
from api.settings import Settings
from api.store_env import read_model_env
from domain.ledger import Ledger
from projections.follower import Follower
from projections.seal import AuditChain, checkpoint_message, link
from projections.seal_verify import verify
from store.read_store import ReadStore
from tests.conftest_stores import TODAY, settings_for
from tests.integration.scenario import CASEWORKER, a_world

VERIFIER = Path(__file__).parents[2] / "ops" / "audit" / "verify_export.py"


@dataclass
class Sealed:
    ledger: Ledger
    chain: AuditChain
    settings: Settings
    conn: psycopg.Connection[Any]
    schema: str
    folder: Path

    def seal(self) -> None:
        Follower(self.ledger, self.chain, batch_size=7).catch_up()

    def sql(self, statement: str, *params: Any) -> list[Any]:
        query = sql.SQL(statement).format(
            events=sql.Identifier(self.schema, "ledger_events"), schema=sql.Identifier(self.schema)
        )
        cursor = self.conn.execute(query, params)
        return cursor.fetchall() if cursor.description else []

    def online(self) -> Any:
        return verify(self.ledger.recorder, self.chain, seal_signer(self.settings).public_key())

    def offline(self) -> tuple[int, str]:
        export = self.folder / "export.ndjson"
        export_audit(self.ledger.recorder, self.chain, export)
        key = seal_signer(self.settings).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        done = subprocess.run(
            [
                sys.executable,
                str(VERIFIER),
                str(export),
                "--public-key",
                base64.b64encode(key).decode(),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        return done.returncode, done.stdout


@pytest.fixture
def sealed(postgres_schema_url: str, tmp_path: Path) -> Iterator[Sealed]:
    settings = settings_for(postgres_schema_url, tmp_path, checkpoint_every_events=10)
    ledger = ledger_for(settings, clock=lambda: TODAY)
    world = a_world(ledger)
    for n in range(25):
        ledger.deliver_service(
            CASEWORKER,
            world.episode,
            kind="home_care",
            quantity=1 + n % 3,
            settlement="Bredy",
            occurred_on=date(2024, 3, 1),
        )
    schema = parse_qs(urlsplit(postgres_schema_url).query)["schema"][0]
    # A checkpoint every batch too: the log's tail is then signed, sealed to its head.
    chain = AuditChain(
        ReadStore(read_model_env(settings)),
        seal_signer(settings),
        every_events=10,
        every_seconds=0,
    )
    chain.create_tables()
    with psycopg.connect(postgres_schema_url.split("?", maxsplit=1)[0], autocommit=True) as conn:
        state = Sealed(ledger, chain, settings, conn, schema, tmp_path)
        state.seal()
        yield state
    chain.store.close()
    ledger.close()


def test_an_untouched_log_verifies_online_and_offline(sealed: Sealed) -> None:
    result = sealed.online()
    assert result.ok, result.finding
    assert result.checked == result.sealed_head == sealed.ledger.recorder.max_notification_id()
    assert result.checkpoints >= 2
    head, checkpoints = result.sealed_head, result.checkpoints
    assert sealed.offline() == (
        0,
        f"OK: {head} events, hashed up to {head}, signed up to {head} by {checkpoints}"
        " checkpoints, 0 trusted checkpoints: all hold\n",
    )


def test_the_seal_still_verifies_after_an_erasure(sealed: Sealed) -> None:
    participant = sealed.ledger.recorder.select_notifications(
        1, 100, topics=["ledger:Participant.Registered"]
    )[0]
    sealed.ledger.erase_participant(CASEWORKER, participant.originator_id, reason="asked")
    sealed.seal()
    assert sealed.online().ok


def change_a_byte(s: Sealed, position: int) -> int:
    s.sql(
        "UPDATE {events} SET state = overlay(state placing '\\x41'::bytea from 12 for 1)"
        " WHERE notification_id = %s",
        position,
    )
    return position


def delete(s: Sealed, position: int) -> int:
    s.sql("DELETE FROM {events} WHERE notification_id = %s", position)
    return position


def swap(s: Sealed, first: int, second: int) -> int:
    s.sql("UPDATE {events} SET notification_id = -1 WHERE notification_id = %s", first)
    s.sql("UPDATE {events} SET notification_id = %s WHERE notification_id = %s", first, second)
    s.sql("UPDATE {events} SET notification_id = %s WHERE notification_id = -1", second)
    return first


TAMPERING: dict[str, tuple[Callable[[Sealed], int], str]] = {
    "one byte changed": (
        lambda s: change_a_byte(s, 14),
        "altered",
    ),
    "a row deleted": (lambda s: delete(s, 9), "removed"),
    "two rows swapped": (lambda s: swap(s, 11, 17), "altered"),
}


@pytest.mark.parametrize("tampering", list(TAMPERING))
def test_tampering_is_found_at_its_position(sealed: Sealed, tampering: str) -> None:
    tamper, kind = TAMPERING[tampering]
    position = tamper(sealed)
    finding = sealed.online().finding
    assert (finding.position, finding.kind) == (position, kind)
    code, output = sealed.offline()
    assert code == 1
    assert f"position {position}: {kind}" in output


def test_a_forged_row_in_a_gap_is_found_as_inserted(sealed: Sealed) -> None:
    head = sealed.ledger.recorder.max_notification_id()
    sealed.sql(
        "SELECT setval(%s, %s)", f"{sealed.schema}.ledger_events_notification_id_seq", head + 3
    )
    world_episode = sealed.sql(
        "SELECT originator_id FROM {events} ORDER BY notification_id DESC LIMIT 1"
    )[0][0]
    sealed.ledger.assign_mentor(
        CASEWORKER, world_episode, mentor_staff="v", occurred_on=date(2024, 3, 2)
    )
    sealed.seal()
    forged = head + 2  # a position the sequence skipped
    sealed.sql(
        "INSERT INTO {events} (originator_id, originator_version, topic, state, notification_id)"
        " SELECT originator_id, 999, topic, state, %s FROM {events} WHERE notification_id = %s",
        forged,
        head,
    )
    finding = sealed.online().finding
    assert (finding.position, finding.kind) == (forged, "inserted")
    code, output = sealed.offline()
    assert (code, f"position {forged}: inserted" in output) == (1, True)


def test_a_rewritten_chain_is_caught_by_the_signed_checkpoints(sealed: Sealed) -> None:
    """Someone with the database but not the signing key alters an event, re-hashes the chain."""
    change_a_byte(sealed, 3)
    previous = bytes(32)
    for n in sealed.ledger.recorder.select_notifications(1, 10_000):
        previous = link(previous, n.id, n.originator_id, n.originator_version, n.topic, n.state)
        sealed.sql(
            "UPDATE {schema}.seal_g0_chain SET hash = %s WHERE position = %s",
            previous.hex(),
            n.id,
        )
    finding = sealed.online().finding
    assert finding.kind == "checkpoint_mismatch"
    first_signed_after = min(c.position for c in sealed.chain.checkpoints() if c.position >= 3)
    assert finding.position == first_signed_after
    assert sealed.offline()[0] == 1


def test_a_checkpoint_signed_with_another_key_is_refused(sealed: Sealed) -> None:
    first = sealed.chain.checkpoints()[0]
    position, chain_hash, signed_at = first.position, first.hash, first.signed_at
    forged = Ed25519PrivateKey.generate().sign(checkpoint_message(position, chain_hash, signed_at))
    sealed.sql(
        "UPDATE {schema}.seal_g0_checkpoints SET signature = %s WHERE position = %s",
        base64.b64encode(forged).decode(),
        position,
    )
    finding = sealed.online().finding
    assert (finding.position, finding.kind) == (position, "checkpoint_signature_invalid")
    code, output = sealed.offline()
    assert code == 1
    assert "signature is not the ledger's" in output


def test_a_chain_begun_with_links_of_the_first_form_keeps_them_and_goes_on_with_the_second(
    sealed: Sealed,
) -> None:
    """A deployment sealed before the second form of link upgrades: its signed past stays as
    it was (the seal is never replayed), and it verifies online and offline."""
    head = sealed.ledger.recorder.max_notification_id()
    # The seal as the earlier version of the code left it: links of the first form only, a
    # signed checkpoint at its head, and no switch recorded.
    previous = bytes(32)
    for n in sealed.ledger.recorder.select_notifications(1, 10_000):
        previous = link(
            previous, n.id, n.originator_id, n.originator_version, n.topic, n.state, head + 1
        )
        sealed.sql(
            "UPDATE {schema}.seal_g0_chain SET hash = %s WHERE position = %s", previous.hex(), n.id
        )
    sealed.sql("DELETE FROM {schema}.seal_g0_checkpoints")
    sealed.sql("DELETE FROM {schema}.seal_g0_links")
    upgraded = AuditChain(sealed.chain.store, sealed.chain.signer, every_events=10, every_seconds=0)
    with upgraded.store.transaction() as tx:
        upgraded.sign(tx, head, previous.hex())
    assert upgraded.v2_from() is None
    assert sealed.online().ok

    sealed.chain = upgraded
    sealed.ledger.assign_mentor(
        CASEWORKER, sealed.sql("SELECT originator_id FROM {events} WHERE notification_id = %s",
                               head)[0][0], mentor_staff="v", occurred_on=date(2024, 3, 2),
    )  # fmt: skip
    sealed.seal()
    assert upgraded.v2_from() == head + 1
    [n] = sealed.ledger.recorder.select_notifications(head + 1, 1)
    second = link(previous, n.id, n.originator_id, n.originator_version, n.topic, n.state)
    assert upgraded.chain()[head + 1] == second.hex()
    first = link(previous, n.id, n.originator_id, n.originator_version, n.topic, n.state, n.id + 1)
    assert first != second
    result = sealed.online()
    assert result.ok, result.finding
    assert result.sealed_head == head + 1
    assert sealed.offline()[0] == 0
    # A byte changed in an event of the first form is still found where it is.
    change_a_byte(sealed, 3)
    assert (sealed.online().finding.position, sealed.offline()[0]) == (3, 1)
