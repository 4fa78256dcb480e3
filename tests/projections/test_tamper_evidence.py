"""An auditor's kept checkpoint proves today's chain extends it, against a database writer without
the signing key; events the seal has not signed are never "OK". On both stores, through the real
`ledger verify` command and ops/audit/verify_export.py.

The attacker here writes to the database with plain SQL: events, chain rows, checkpoints.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from api.audit_export import export_audit
from api.bootstrap import ledger_for
from api.keys import seal_signer
from api.settings import Settings
from api.store_env import event_store_env, read_model_env
from domain.ledger import Ledger
from projections.checkpoints import Checkpoint, checkpoint_message
from projections.follower import Follower
from projections.seal import GENESIS, AuditChain, link
from store.read_store import ReadStore
from tests.conftest_stores import TODAY, process_env, settings_for
from tests.integration.scenario import CASEWORKER, a_world

VERIFIER = Path(__file__).parents[2] / "ops" / "audit" / "verify_export.py"
EXIT_OK, EXIT_TAMPERED, EXIT_UNSEALED = 0, 1, 3


def chain_id(stored: Any) -> str:
    """An originator id as the chain hashes it: SQLite keeps it as hex, PostgreSQL as a uuid."""
    return str(UUID(str(stored)))


class Writer:
    """Someone who can write to the ledger's database (both stores), but has no signing key."""

    def __init__(self, store_url: str, settings: Settings) -> None:
        self.postgres = store_url.startswith("postgresql")
        if self.postgres:
            schema = parse_qs(urlsplit(store_url).query)["schema"][0]
            self.pg = psycopg.connect(store_url.split("?", maxsplit=1)[0], autocommit=True)
            self.pg.execute(f'SET search_path TO "{schema}"')
        else:
            self.events_file = event_store_env(settings)["SQLITE_DBNAME"]
            self.seal_file = read_model_env(settings)["SQLITE_DBNAME"]

    def _run(self, seal: bool, statement: str, *params: Any) -> list[Any]:
        if self.postgres:
            statement = statement.replace("?", "%s").replace("rowid", "notification_id")
            statement = statement.replace("stored_events", "ledger_events")
            cursor = self.pg.execute(statement, params)
            return cursor.fetchall() if cursor.description else []
        with closing(sqlite3.connect(self.seal_file if seal else self.events_file)) as db, db:
            return db.execute(statement, params).fetchall()

    def events(self) -> list[Any]:
        return self._run(
            False,
            "SELECT rowid, originator_id, originator_version, topic, state"
            " FROM stored_events ORDER BY rowid",
        )

    def rewrite_event(self, position: int) -> None:
        rows = self._run(False, "SELECT state FROM stored_events WHERE rowid = ?", position)
        state = bytes(rows[0][0])
        changed = state[:11] + bytes([state[11] ^ 1]) + state[12:]
        self._run(False, "UPDATE stored_events SET state = ? WHERE rowid = ?", changed, position)

    def hashes(self) -> Iterator[tuple[int, str]]:
        """The chain over the events as they now are: anyone can compute it, no key needed."""
        previous = GENESIS
        for position, stored_id, version, topic, state in self.events():
            previous = link(previous, position, chain_id(stored_id), version, topic, bytes(state))
            yield position, previous.hex()

    def rehash_chain(self) -> None:
        for position, chain_hash in self.hashes():
            self._run(
                True, "UPDATE seal_g0_chain SET hash = ? WHERE position = ?", chain_hash, position
            )

    def add_chain_rows(self) -> None:
        for position, chain_hash in self.hashes():
            self._run(
                True,
                "INSERT INTO seal_g0_chain (position, hash) VALUES (?, ?)"
                " ON CONFLICT (position) DO NOTHING",
                position,
                chain_hash,
            )

    def delete_checkpoints_from(self, position: int) -> None:
        self._run(True, "DELETE FROM seal_g0_checkpoints WHERE position >= ?", position)

    def cut_after(self, position: int) -> None:
        self._run(False, "DELETE FROM stored_events WHERE rowid > ?", position)
        self._run(True, "DELETE FROM seal_g0_chain WHERE position > ?", position)
        self._run(True, "DELETE FROM seal_g0_checkpoints WHERE position > ?", position)

    def append_after_head(self, count: int) -> int:
        """Copies of the last event, as later versions, at the positions after the head."""
        head, originator_id, version, topic, state = self.events()[-1]
        for n in range(1, count + 1):
            self._run(
                False,
                "INSERT INTO stored_events"
                " (rowid, originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?, ?)",
                head + n,
                originator_id,
                version + n,
                topic,
                state,
            )
        return int(head) + 1

    def close(self) -> None:
        if self.postgres:
            self.pg.close()


@dataclass
class Ledgered:
    settings: Settings
    store_url: str
    folder: Path
    ledger: Ledger
    chain: AuditChain
    writer: Writer

    @property
    def checkpoint_log(self) -> Path:
        return self.folder / "checkpoints.ndjson"

    def seal(self) -> None:
        Follower(self.ledger, self.chain, batch_size=7).catch_up()

    def keep_latest(self) -> tuple[Path, Checkpoint]:
        """What an auditor keeps: the body of GET /v1/audit/checkpoints/latest."""
        latest = self.chain.latest_checkpoint()
        assert latest is not None
        kept = self.folder / "latest.json"
        kept.write_text(json.dumps({**latest.as_dict(), "public_key": self.public_key()}))
        return kept, latest

    def public_key(self) -> str:
        key = seal_signer(self.settings).public_key()
        return base64.b64encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()

    def ledger_verify(self, *trusted: Path) -> tuple[int, str]:
        """`ledger verify --trusted ...` in a process of its own, as an operator runs it."""
        done = subprocess.run(
            [sys.executable, "-m", "api.cli", "verify", *(f"--trusted={t}" for t in trusted)],
            env=process_env(self.store_url, self.folder),
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return done.returncode, done.stdout + done.stderr

    def verify_export(self, *trusted: Path) -> tuple[int, str]:
        """The auditor's own check of an export, with the public key obtained beforehand."""
        export = self.folder / "export.ndjson"
        export_audit(self.ledger.recorder, self.chain, export)
        done = subprocess.run(
            [
                sys.executable,
                str(VERIFIER),
                str(export),
                f"--public-key={self.public_key()}",
                *(f"--trusted={t}" for t in trusted),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return done.returncode, done.stdout + done.stderr


@pytest.fixture
def ledgered(store_url: str, tmp_path: Path) -> Iterator[Ledgered]:
    settings = settings_for(store_url, tmp_path)
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
    # Every 10 events, and the tail of each catch-up (every_seconds=0 signs each batch's end).
    chain = AuditChain(
        ReadStore(read_model_env(settings)),
        seal_signer(settings),
        every_events=10,
        every_seconds=0,
        checkpoint_log=tmp_path / "checkpoints.ndjson",
    )
    chain.create_tables()
    writer = Writer(store_url, settings)
    yield Ledgered(settings, store_url, tmp_path, ledger, chain, writer)
    writer.close()
    chain.store.close()
    ledger.close()


def test_an_untouched_ledger_extends_every_checkpoint_the_auditor_kept(ledgered: Ledgered) -> None:
    ledgered.seal()
    kept, latest = ledgered.keep_latest()
    head = ledgered.ledger.recorder.max_notification_id()
    assert latest.position == head

    code, output = ledgered.ledger_verify(kept, ledgered.checkpoint_log)
    assert (code, f"OK: every event up to position {head} is sealed and holds" in output) == (
        EXIT_OK,
        True,
    ), output
    trusted = len(ledgered.checkpoint_log.read_text().splitlines()) + 1
    assert f"{trusted} trusted checkpoints given" in output
    code, output = ledgered.verify_export(kept, ledgered.checkpoint_log)
    assert (code, output.startswith("OK: ")) == (EXIT_OK, True), output


def test_a_rewritten_event_rehashed_and_its_checkpoints_deleted_fails_at_the_kept_checkpoint(
    ledgered: Ledgered,
) -> None:
    ledgered.seal()
    kept, latest = ledgered.keep_latest()
    signed = [c.position for c in ledgered.chain.checkpoints()]
    rewritten = 12
    first_after = min(p for p in signed if p >= rewritten)
    last_before = max(p for p in signed if p < rewritten)

    ledgered.writer.rewrite_event(rewritten)
    ledgered.writer.rehash_chain()
    ledgered.writer.delete_checkpoints_from(rewritten)

    # Against the one checkpoint kept: the chain at its position is no longer what was signed.
    code, output = ledgered.ledger_verify(kept)
    assert code == EXIT_TAMPERED, output
    assert f"TAMPERED at position {latest.position}: rewritten" in output
    code, output = ledgered.verify_export(kept)
    assert code == EXIT_TAMPERED, output
    assert f"position {latest.position}: rewritten" in output
    # Against the published checkpoint log: narrowed to between two checkpoints.
    for code, output in (
        ledgered.ledger_verify(ledgered.checkpoint_log),
        ledgered.verify_export(ledgered.checkpoint_log),
    ):
        assert code == EXIT_TAMPERED, output
        assert f"position {first_after}: rewritten" in output
        assert f"after position {last_before} and up to {first_after}" in output
    # Without any kept checkpoint, what lost its signature is not "OK" either.
    code, output = ledgered.ledger_verify()
    assert code == EXIT_UNSEALED, output
    assert f"NOT SEALED from position {last_before + 1}" in output


def test_cut_events_with_their_chain_rows_and_checkpoints_fail_at_the_kept_checkpoint(
    ledgered: Ledgered,
) -> None:
    ledgered.seal()
    kept, latest = ledgered.keep_latest()
    cut = latest.position - 3

    ledgered.writer.cut_after(cut)

    for code, output in (
        ledgered.ledger_verify(kept),
        ledgered.verify_export(kept),
        ledgered.ledger_verify(ledgered.checkpoint_log),
        ledgered.verify_export(ledgered.checkpoint_log),
    ):
        assert code == EXIT_TAMPERED, output
        assert f"position {latest.position}: truncated" in output
        assert f"the log ends at position {cut}" in output


def test_rows_appended_after_the_sealed_head_are_named_and_not_ok(ledgered: Ledgered) -> None:
    ledgered.seal()
    kept, _ = ledgered.keep_latest()

    first = ledgered.writer.append_after_head(2)

    code, output = ledgered.ledger_verify(kept)
    assert code == EXIT_UNSEALED, output
    assert f"NOT SEALED from position {first}: 2 events after the last signed checkpoint" in output
    code, output = ledgered.verify_export(kept)
    assert code == EXIT_UNSEALED, output
    assert f"NOT SEALED: position {first}: not sealed (2 events" in output

    # Chain rows for them make no difference: anyone can hash, only a signature seals.
    ledgered.writer.add_chain_rows()
    for code, output in (ledgered.ledger_verify(kept), ledgered.verify_export(kept)):
        assert code == EXIT_UNSEALED, output
        assert f"position {first}" in output


def test_deleted_checkpoints_are_found_against_the_published_record(ledgered: Ledgered) -> None:
    ledgered.seal()
    signed = [c.position for c in ledgered.chain.checkpoints()]
    removed = signed[1]

    ledgered.writer.delete_checkpoints_from(removed)

    for code, output in (
        ledgered.ledger_verify(ledgered.checkpoint_log),
        ledgered.verify_export(ledgered.checkpoint_log),
    ):
        assert code == EXIT_TAMPERED, output
        assert f"position {removed}: checkpoint_removed" in output


def test_events_never_sealed_are_reported_with_their_own_exit_code(ledgered: Ledgered) -> None:
    """After an import, before the seal ran: the log holds events and nothing is signed."""
    head = ledgered.ledger.recorder.max_notification_id()

    code, output = ledgered.ledger_verify()

    assert code == EXIT_UNSEALED, output
    assert f"NOT SEALED from position 1: {head} events after the last signed checkpoint (0)" in (
        output
    )
    assert "OK" not in output
    code, output = ledgered.verify_export()
    assert (code, output.startswith(f"NOT SEALED: position 1: not sealed ({head} events")) == (
        EXIT_UNSEALED,
        True,
    ), output


def test_every_signed_checkpoint_is_appended_to_the_checkpoint_log(ledgered: Ledgered) -> None:
    ledgered.seal()
    ledgered.ledger.deliver_service(
        CASEWORKER,
        ledgered.ledger.recorder.select_notifications(1, 100)[-1].originator_id,
        kind="home_care",
        quantity=1,
        settlement="Bredy",
        occurred_on=date(2024, 3, 2),
    )
    ledgered.seal()

    published = [json.loads(line) for line in ledgered.checkpoint_log.read_text().splitlines()]

    signed = ledgered.chain.checkpoints()
    assert len(signed) >= 4
    assert published == [c.as_dict() for c in signed]
    key = seal_signer(ledgered.settings).public_key()
    assert all(Checkpoint(**line).signed_by(key) for line in published)


def test_a_quiet_ledger_gets_its_last_events_signed(ledgered: Ledgered) -> None:
    """No write follows the last events: the seal still signs them once a checkpoint is due."""
    quiet = AuditChain(
        ledgered.chain.store,
        seal_signer(ledgered.settings),
        every_events=1000,
        every_seconds=0.3,
    )
    stop = threading.Event()
    follower = Follower(ledgered.ledger, quiet, batch_size=500)
    thread = threading.Thread(target=follower.run, args=(stop, 0.02), daemon=True)
    thread.start()
    head = ledgered.ledger.recorder.max_notification_id()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            latest = quiet.latest_checkpoint()
            if latest is not None and latest.position == head:
                break
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(10)
    assert latest is not None
    assert latest.position == head
    code, output = ledgered.ledger_verify()
    assert code == EXIT_OK, output


def test_a_trusted_file_that_cannot_be_used_or_was_not_signed_by_the_ledger_is_refused(
    ledgered: Ledgered,
) -> None:
    ledgered.seal()
    _, latest = ledgered.keep_latest()
    unusable = ledgered.folder / "notes.txt"
    unusable.write_text("position 32, hash abc\n")
    forged = ledgered.folder / "forged.json"
    other_key = Ed25519PrivateKey.generate()
    signature = other_key.sign(checkpoint_message(latest.position, latest.hash, latest.signed_at))
    forged.write_text(
        json.dumps({**latest.as_dict(), "signature": base64.b64encode(signature).decode()})
    )

    code, output = ledgered.ledger_verify(unusable)
    assert (code, "notes.txt: not JSON" in output) == (2, True), output
    code, output = ledgered.verify_export(unusable)
    assert (code, output.startswith("UNUSABLE: ")) == (2, True), output
    for code, output in (ledgered.ledger_verify(forged), ledgered.verify_export(forged)):
        assert code == EXIT_TAMPERED, output
        assert f"position {latest.position}: trusted_signature_invalid" in output
