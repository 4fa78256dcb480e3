"""Old home of the command types, kept so that `from domain.application import ...` still works
until its importers say `domain.commands` (and `domain.ledger` for the Ledger)."""

from domain.commands import (
    CommandResult,
    ConcurrentWriteError,
    Context,
    Decision,
    StaleVersionError,
    utc_today,
)
from domain.idempotency import fingerprint
from domain.ledger import Ledger as LedgerCore

__all__ = [
    "CommandResult",
    "ConcurrentWriteError",
    "Context",
    "Decision",
    "LedgerCore",
    "StaleVersionError",
    "fingerprint",
    "utc_today",
]
