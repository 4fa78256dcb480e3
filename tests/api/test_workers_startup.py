"""`ledger serve --workers 2` starts where connections are scarce: the schema is made once, by the
supervisor, before any API process takes connections of its own."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from tests.api.processes import get, ledger
from tests.api.test_request_log import a_free_port
from tests.conftest_stores import process_env

# Each API process holds one connection in each of its three pools (events, personal-data
# keys, read models) with LEDGER_STORE_POOL_SIZE=1: two processes hold six, and a role allowed
# six has none to spare. Taking turns at the schema under an advisory lock, a process held the
# lock on a seventh connection while waiting for one the other held: it gave up after ~2 min.
CONNECTIONS = 6
STARTS_WITHIN = 90.0  # seconds: a few on an idle machine, ~35 on this busy one


@pytest.fixture
def scarce_url(postgres_url: str) -> Iterator[str]:
    """A database of a role that may open only CONNECTIONS connections."""
    name = f"scarce_{uuid.uuid4().hex[:10]}"
    role, database = sql.Identifier(name), sql.Identifier(name)
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("CREATE ROLE {} LOGIN CONNECTION LIMIT {}").format(
                role, sql.Literal(CONNECTIONS)
            )
        )
        admin.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(database, role))
    parts = urlsplit(postgres_url)
    server = parts.netloc.rsplit("@", 1)[-1]
    yield urlunsplit(parts._replace(netloc=f"{name}@{server}", path=f"/{name}"))
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
        admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(role))


def test_two_api_processes_start_and_answer_when_connections_are_scarce(
    scarce_url: str, tmp_path: Path
) -> None:
    port = a_free_port()
    env = {
        **process_env(scarce_url, tmp_path),
        "LEDGER_PORT": str(port),
        "LEDGER_WORKERS": "2",
        "LEDGER_PROJECTIONS_IN_PROCESS": "false",
        "LEDGER_STORE_POOL_SIZE": "1",
        "LEDGER_STORE_MAX_OVERFLOW": "0",
    }
    started = time.monotonic()
    answered: set[int] = set()
    with ledger("serve", env=env, log=tmp_path / "serve.log") as server:
        while len(answered) < 2 and time.monotonic() - started < STARTS_WITHIN:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
            try:
                status, body = get(port, "/health", timeout=2)
            except OSError:
                time.sleep(0.1)
                continue
            assert status == 200
            answered.add(body["process"])
        took = time.monotonic() - started
        # Serving, the processes still get connections for what they are asked.
        ready_status, ready = get(port, "/ready")

    print(f"\nboth API processes answered {took:.1f} s after the start")
    assert len(answered) == 2, (tmp_path / "serve.log").read_text()[-3000:]
    assert ready_status == 503  # no follower runs here
    assert ready["read_models"]["caseloads"]["reason"] == "no_follower"
