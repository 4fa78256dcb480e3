"""A store's raw files, looked at as by someone holding a copy and the key-encryption key."""

from __future__ import annotations

import base64
import json
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

import psycopg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from api.settings import Settings
from api.store_env import key_env
from domain.personal_data import personal_data_id_for

# A wrapped key is 80 base64 characters; where it sits beside its stream id (SQLite's record) the
# run is longer, and the sealed events are far longer: try every window of the short runs.
SHORT_BASE64_RUN = re.compile(rb"[A-Za-z0-9+/]{80,240}")
WRAPPED_LENGTH = 80


def wrapped_key(settings: Settings, participant_id: str) -> str:
    """The person's wrapped key as stored, read straight from the database."""
    stream = str(personal_data_id_for(UUID(participant_id)))
    query = "SELECT wrapped FROM personal_data_keys WHERE stream_id = %s"
    env = key_env(settings)
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        with sqlite3.connect(env["SQLITE_DBNAME"]) as conn:
            row = conn.execute(query.replace("%s", "?"), (stream,)).fetchone()
        conn.close()
    else:
        with psycopg.connect(_server(settings), autocommit=True) as pg:
            pg.execute(f'SET search_path TO "{env["POSTGRES_SCHEMA"]}"')
            row = pg.execute(query, (stream,)).fetchone()
    assert row, "the person has no key to capture"
    return str(row[0])


def analyze(settings: Settings) -> None:
    """Gather the planner's statistics on the key table, as autovacuum does now and then."""
    env = key_env(settings)
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        with sqlite3.connect(env["SQLITE_DBNAME"]) as conn:
            conn.execute("ANALYZE")
        conn.close()
        return
    with psycopg.connect(_server(settings), autocommit=True) as pg:
        pg.execute(f'ANALYZE "{env["POSTGRES_SCHEMA"]}".personal_data_keys')


def an_older_transaction(settings: Settings) -> Callable[[], None]:
    """A transaction of another process, open from before the erasure; returns its end.

    SQLite: a reader inside a transaction on the key file (the WAL cannot be emptied under it).
    PostgreSQL: a snapshot in the same database, touching no table (a deleted row stays in the
    table's file, for it, through VACUUM FULL)."""
    env = key_env(settings)
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        reader = sqlite3.connect(
            env["SQLITE_DBNAME"], isolation_level=None, check_same_thread=False
        )
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM personal_data_keys").fetchone()
        return reader.close  # closing ends the transaction
    pg = psycopg.connect(_server(settings))
    pg.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    pg.execute("SELECT 1").fetchone()
    return pg.close


def store_files(settings: Settings) -> dict[str, bytes]:
    """Every file of the store. SQLite: the files beside the database (main, -wal, -journal,
    -shm of events, read models and keys). PostgreSQL: after a CHECKPOINT, the relation files of
    the ledger's schema (tables, indexes, TOAST) and of pg_statistic, as the server holds them,
    and the planner statistics of the schema's columns."""
    url = urlsplit(settings.database_url)
    if url.scheme == "sqlite":
        folder = Path(url.path[1:]).parent
        return {f.name: f.read_bytes() for f in sorted(folder.iterdir()) if f.is_file()}
    schema = parse_qs(url.query)["schema"][0]
    files = {}
    with psycopg.connect(_server(settings), autocommit=True) as pg:
        pg.execute("CHECKPOINT")
        relations = pg.execute(
            "SELECT c.oid::regclass::text, pg_relation_filepath(c.oid) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " LEFT JOIN pg_class owner ON owner.reltoastrelid = c.oid"
            " LEFT JOIN pg_namespace owner_ns ON owner_ns.oid = owner.relnamespace"
            " WHERE (n.nspname = %s OR owner_ns.nspname = %s OR c.oid = 'pg_statistic'::regclass)"
            " AND pg_relation_filepath(c.oid) IS NOT NULL",
            (schema, schema),
        ).fetchall()
        for name, path in relations:
            data = pg.execute("SELECT pg_read_binary_file(%s)", (path,)).fetchone()
            files[f"{name} ({path})"] = bytes(data[0] or b"") if data else b""
        # pg_statistic keeps long arrays compressed: read its values as the server shows them.
        stats = pg.execute(
            "SELECT tablename, attname, most_common_vals::text, histogram_bounds::text"
            " FROM pg_stats WHERE schemaname = %s",
            (schema,),
        ).fetchall()
        files["pg_stats (as shown)"] = "\n".join(map(str, stats)).encode()
    return files


def traces(
    files: dict[str, bytes],
    *,
    wrapped: str,
    kek: bytes,
    participant_id: str,
    values: list[str],
) -> list[str]:
    """What of the person the files still hold: the wrapped key (as text or bytes), any key that
    opens under the key-encryption key for their stream, and any personal value."""
    stream = personal_data_id_for(UUID(participant_id))
    wanted = [("the wrapped key", wrapped.encode()), ("its bytes", base64.b64decode(wrapped))]
    for value in values:
        for form in {value, value.lower(), value.upper()}:
            wanted += [(value, form.encode()), (f"{value} as JSON", json.dumps(form).encode())]
    found = [f"{what} in {name}" for name, data in files.items() for what, b in wanted if b in data]
    wrapper = AESGCM(kek)
    for name, data in files.items():
        for run in SHORT_BASE64_RUN.finditer(data):
            text = run.group()
            for start in range(len(text) - WRAPPED_LENGTH + 1):
                raw = base64.b64decode(text[start : start + WRAPPED_LENGTH])
                try:
                    wrapper.decrypt(raw[:12], raw[12:], stream.bytes)
                except InvalidTag:
                    continue
                found.append(f"a key that opens for this person in {name}")
    return list(dict.fromkeys(found))


def _server(settings: Settings) -> str:
    return urlsplit(settings.database_url)._replace(query="").geturl()
