"""Configuration from the environment (prefix LEDGER_): plain values, checked as they are read.

What is made from them (keys, stores, the Ledger) is made in api/bootstrap.py.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, NonNegativeFloat, NonNegativeInt, PositiveInt
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///var/ledger.sqlite3"


class Settings(BaseSettings):
    """Everything an operator can set; the defaults run the embedded SQLite ledger."""

    model_config = SettingsConfigDict(env_prefix="LEDGER_", extra="ignore")

    # sqlite:///relative/path, sqlite:////absolute/path, or postgresql://user:pw@host:port/db
    # (?schema=name keeps the ledger's tables in their own schema).
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    # API processes (`ledger serve`); more than one needs PostgreSQL and read models in their
    # own processes (`ledger project NAME`).
    workers: PositiveInt = 1
    # Seconds a writer waits for the event table's lock before giving up (0 would wait forever).
    store_lock_timeout: NonNegativeInt = 5
    store_pool_size: PositiveInt = 5
    store_max_overflow: NonNegativeInt = 10
    # Seconds to wait for a connection from the pool.
    store_connect_timeout: NonNegativeInt = 10
    # Follow the log in threads of the API process: default yes on SQLite, no on PostgreSQL
    # (production runs `ledger project NAME` per read model).
    projections_in_process: bool | None = None
    projection_batch: PositiveInt = 500
    # Aggregates kept in memory per process (0: none); reads fast-forward them from the store.
    aggregate_cache_size: NonNegativeInt = 1000
    # Commands that may wait for the event-store write in progress (group commit); past this,
    # or past commit_wait_seconds of waiting, a command is refused with 503 and Retry-After.
    commit_queue_limit: NonNegativeInt = 512
    commit_wait_seconds: NonNegativeFloat = 10.0
    projection_poll_interval: NonNegativeFloat = 0.05
    # `ledger project` on PostgreSQL wakes on each write's NOTIFY, and polls only in case one
    # is lost.
    projection_fallback_poll: NonNegativeFloat = 1.0
    # Seconds `ledger project` waits after each round at the head, to read the writes that
    # follow in one batch (see Follower.run).
    projection_linger: NonNegativeFloat = 0.010
    # A read given min_position waits this long for its read model at most.
    read_wait_seconds: NonNegativeFloat = 5.0
    # Schema work (tables, types, functions) at start; `ledger serve --workers` does it once in
    # its supervisor and starts the API processes without.
    create_schema: bool = True
    # /ready fails when a read model or the seal is further behind the log head than this many
    # positions, or than this many seconds (the oldest event it lacks was recorded that long
    # ago), or when its follower has not reported for that long.
    ready_max_lag: NonNegativeInt = 10_000
    ready_max_lag_seconds: NonNegativeFloat = 30.0

    # Authentication. Embedded default: HS256 with a secret generated into var/ on first start.
    # Production: RS256/ES256 keys from a JWKS file or URL (OIDC-compatible), or HS256 with
    # LEDGER_JWT_SECRET (or LEDGER_JWT_SECRET_FILE) given to every host alike.
    jwt_secret_value: str | None = Field(
        default=None, validation_alias=AliasChoices("jwt_secret_value", "LEDGER_JWT_SECRET")
    )
    jwt_secret_file: Path = Path("var/jwt-secret")
    jwks_file: Path | None = None
    jwks_url: str | None = None
    jwt_issuer: str = "ledger-dev"
    jwt_audience: str = "ledger"
    max_body_bytes: NonNegativeInt = 2_000_000

    # Keys, each 32 bytes in base64, given as a value or as a file. Only the embedded default
    # (SQLite) generates a missing one into var/; on PostgreSQL a missing key refuses the start,
    # since every host of one ledger needs the same keys (see api/keys.py).
    # Wraps each person's data key.
    key_encryption_key: str | None = None
    key_encryption_key_file: Path = Path("var/key-encryption-key")

    # Every erasure is listed here (participant id, when, request id) before it is answered, so
    # that a restored backup can be made to forget the same people (`ledger erasures reapply`).
    # Keep it out of the database's backups and never restore it over a newer one. Default:
    # erasures.list beside the SQLite file (var/), or var/erasures.list on PostgreSQL.
    erasure_list_file: Path | None = None

    # Signs the audit chain's checkpoints (an Ed25519 private key's 32 raw bytes).
    seal_signing_key: str | None = None
    seal_signing_key_file: Path = Path("var/seal-signing-key")
    checkpoint_every_events: NonNegativeInt = 1000
    checkpoint_every_seconds: NonNegativeFloat = 60.0
    # Every signed checkpoint is also appended here (one JSON line each, fsynced): a record
    # outside the database, for auditors (`ledger verify --trusted FILE`). Keep it where the
    # database's writers cannot write, e.g. another host's mount or an append-only file.
    checkpoint_log: Path | None = None

    @property
    def embedded(self) -> bool:
        """The embedded default: one SQLite ledger on this host, its keys made on first start."""
        return urlsplit(self.database_url).scheme == "sqlite"
