"""Read models on each real store, fed by a Ledger on the same store."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import psycopg
import pytest
from psycopg import sql

from api.bootstrap import ledger_for
from api.store_env import read_model_env
from domain.ledger import Ledger
from projections.follower import Follower
from projections.model import ReadModel
from store.read_store import ReadStore
from tests.conftest_stores import TODAY, settings_for

M = TypeVar("M", bound=ReadModel)


@dataclass
class Stores:
    ledger: Ledger
    read: ReadStore
    folder: Path  # its keys: a `ledger` process on these stores needs the same

    def project(self, model_class: type[M], batch_size: int = 500) -> M:
        """The model caught up with the whole log."""
        model = model_class(self.read)
        model.create_tables()
        Follower(self.ledger, model, batch_size=batch_size).catch_up()
        return model


def open_stores(url: str) -> Stores:
    folder = Path(tempfile.mkdtemp())
    settings = settings_for(url, folder)
    ledger = ledger_for(settings, clock=lambda: TODAY)
    return Stores(ledger, ReadStore(read_model_env(settings)), folder)


@pytest.fixture
def stores(store_url: str) -> Iterator[Stores]:
    opened = open_stores(store_url)
    yield opened
    opened.read.close()
    opened.ledger.close()


@pytest.fixture(scope="module")
def schemas(postgres_url: str) -> Callable[[], str]:
    """Makes a fresh schema of the test database per call: a property test's examples each get
    their own stores."""

    def new_schema() -> str:
        schema = f"p_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        return f"{postgres_url}?schema={schema}"

    return new_schema
