"""Read models rebuilt from the ledger's log."""
