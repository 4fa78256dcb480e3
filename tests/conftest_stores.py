"""The Ledger on each real store: a SQLite file, and a PostgreSQL schema of the test's own."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from api.bootstrap import ledger_for
from api.keys import fresh_key
from api.settings import Settings
from domain.ledger import Ledger

TODAY = date(2024, 6, 1)

LedgerFactory = Callable[[], Ledger]


def keys_in(folder: Path) -> dict[str, Path]:
    """The keys of a test's ledger, as files in its folder made once. Every process of the test
    (its own Ledger, `ledger serve`, `ledger project`) reads the same keys, as every host of one
    deployment must; on PostgreSQL none would be generated."""
    files = {"kek": folder / "kek", "seal": folder / "seal", "jwt": folder / "jwt"}
    for path in files.values():
        if not path.exists():
            path.write_text(fresh_key())
    return files


def settings_for(store_url: str, folder: Path, **overrides: Any) -> Settings:
    """Settings of a test store, with the test's keys."""
    keys = keys_in(folder)
    return Settings(
        database_url=store_url,
        key_encryption_key_file=keys["kek"],
        seal_signing_key_file=keys["seal"],
        jwt_secret_file=keys["jwt"],
        **overrides,
    )


ROOT = Path(__file__).resolve().parents[1]


def process_env(store_url: str, folder: Path) -> dict[str, str]:
    """The environment of a ledger process of its own (`python -c`) on a test's store."""
    keys = keys_in(folder)
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "LEDGER_DATABASE_URL": store_url,
        "LEDGER_KEY_ENCRYPTION_KEY_FILE": str(keys["kek"]),
        "LEDGER_SEAL_SIGNING_KEY_FILE": str(keys["seal"]),
        "LEDGER_JWT_SECRET_FILE": str(keys["jwt"]),
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
