"""Followers' heartbeats: every follower says, each second even when idle, that it is alive.

A read model's position alone cannot tell a follower that is idle at the head from one that is
gone: with no new writes both stay where they are. `/ready` asks for a recent heartbeat too.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from datetime import UTC, datetime

from projections.model import recorded_at
from store.read_store import ReadStore

TABLE = "follower_heartbeats"
DDL = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} ("
    "name TEXT PRIMARY KEY, beat_at TEXT NOT NULL, follower TEXT NOT NULL)"
)
EVERY_SECONDS = 1.0
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # as projections.model.recorded_at writes it


def create_table(store: ReadStore) -> None:
    with store.transaction() as tx:
        tx.execute(DDL)


def this_follower() -> str:
    """Who beats: host and process id, for an operator looking for the follower."""
    return f"{socket.gethostname()}:{os.getpid()}"


def beat(store: ReadStore, names: Sequence[str], follower: str) -> None:
    """Record that `follower` is following these read models (or the seal) now."""
    now = recorded_at(datetime.now(UTC))
    with store.transaction() as tx:
        tx.executemany(
            f"INSERT INTO {TABLE} (name, beat_at, follower) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET beat_at = excluded.beat_at,"
            " follower = excluded.follower",
            [(name, now, follower) for name in names],
        )


def last_beats(store: ReadStore) -> dict[str, datetime]:
    """When each read model's follower last reported."""
    with store.transaction() as tx:
        rows = tx.execute(f"SELECT name, beat_at FROM {TABLE}")
    return {
        str(name): datetime.strptime(str(at), TIME_FORMAT).replace(tzinfo=UTC) for name, at in rows
    }
