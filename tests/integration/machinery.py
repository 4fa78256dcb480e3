"""The store's write path under a Ledger the composition root built, for tests that watch it."""

from __future__ import annotations

from domain.ledger import Ledger
from store.writes import CommandWrites


def writes_of(ledger: Ledger) -> CommandWrites:
    """Its group committer, recently saved aggregates and turns (store/writes.py)."""
    assert isinstance(ledger.writes, CommandWrites)
    return ledger.writes
