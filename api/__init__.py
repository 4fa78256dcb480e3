"""HTTP and command-line entry points of the ledger, and the one place that wires settings."""
