"""The Ledger on each real store: a SQLite file, and a PostgreSQL schema of the test's own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from api.settings import Settings
from domain.ledger import Ledger

TODAY = date(2024, 6, 1)

LedgerFactory = Callable[[], Ledger]


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/ledger.sqlite3"
    url: str = request.getfixturevalue("postgres_schema_url")
    return url


@pytest.fixture
def new_ledger(store_url: str) -> Iterator[LedgerFactory]:
    """Builds Ledgers on the test's store, each a separate application as in a new process."""
    opened: list[Ledger] = []

    def build() -> Ledger:
        ledger = Ledger(env=Settings(database_url=store_url).event_store_env(), clock=lambda: TODAY)
        opened.append(ledger)
        return ledger

    yield build
    for ledger in opened:
        ledger.close()


@pytest.fixture
def ledger(new_ledger: LedgerFactory) -> Ledger:
    return new_ledger()
