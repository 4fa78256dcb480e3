"""Read models on each real store, fed by a Ledger on the same store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeVar

import pytest

from api.settings import Settings
from domain.ledger import Ledger
from projections.model import ReadModel
from projections.runner import Follower
from projections.store import ReadStore
from tests.conftest_stores import TODAY

M = TypeVar("M", bound=ReadModel)


@dataclass
class Stores:
    ledger: Ledger
    read: ReadStore

    def project(self, model_class: type[M], batch_size: int = 500) -> M:
        """The model caught up with the whole log."""
        model = model_class(self.read)
        model.create_tables()
        Follower(self.ledger, model, batch_size=batch_size).catch_up()
        return model


def open_stores(url: str) -> Stores:
    settings = Settings(database_url=url)
    ledger = Ledger(env=settings.event_store_env(), clock=lambda: TODAY)
    return Stores(ledger, ReadStore(settings.read_model_env()))


@pytest.fixture
def stores(store_url: str) -> Iterator[Stores]:
    opened = open_stores(store_url)
    yield opened
    opened.read.close()
    opened.ledger.close()
