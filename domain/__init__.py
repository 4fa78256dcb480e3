"""Aggregates, events and the Ledger application. Imports no web framework, driver or logger."""
