"""The Ledger on each real store: a SQLite file, and a PostgreSQL schema of the test's own."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from api.settings import Settings
from api.wiring import ledger_for
from domain.ledger import Ledger

TODAY = date(2024, 6, 1)

LedgerFactory = Callable[[], Ledger]


def settings_for(store_url: str, folder: Path) -> Settings:
    """Settings of a test store, with its own generated key-encryption key."""
    return Settings(database_url=store_url, key_encryption_key_file=folder / "kek")


ROOT = Path(__file__).resolve().parents[1]


def process_env(store_url: str, folder: Path) -> dict[str, str]:
    """The environment of a ledger process of its own (`python -c`) on a test's store."""
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "LEDGER_DATABASE_URL": store_url,
        "LEDGER_KEY_ENCRYPTION_KEY_FILE": str(folder / "kek"),
        "LEDGER_SEAL_SIGNING_KEY_FILE": str(folder / "seal"),
    }


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/ledger.sqlite3"
    url: str = request.getfixturevalue("postgres_schema_url")
    return url


@pytest.fixture
def new_ledger(store_url: str, tmp_path: Path) -> Iterator[LedgerFactory]:
    """Builds Ledgers on the test's store, each a separate application as in a new process."""
    opened: list[Ledger] = []

    def build() -> Ledger:
        ledger = ledger_for(settings_for(store_url, tmp_path), clock=lambda: TODAY)
        opened.append(ledger)
        return ledger

    yield build
    for ledger in opened:
        ledger.close()


@pytest.fixture
def ledger(new_ledger: LedgerFactory) -> Ledger:
    return new_ledger()
