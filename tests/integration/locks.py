"""Holding the event table's write lock from outside, to make writers queue on purpose."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import psycopg
from psycopg import sql


@contextmanager
def event_table_locked(url: str) -> Iterator[None]:
    """Hold the event table's write lock from another connection, as a slow writer would."""
    parts = urlsplit(url)
    schema = parse_qs(parts.query)["schema"][0]
    with psycopg.connect(parts._replace(query="").geturl()) as conn:
        conn.execute(
            sql.SQL("LOCK TABLE {}.ledger_events IN EXCLUSIVE MODE").format(sql.Identifier(schema))
        )
        yield
        conn.rollback()


def wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.005)
