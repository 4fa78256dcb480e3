"""Configuration from the environment (prefix LEDGER_), and the event store it selects."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///var/ledger.sqlite3"
GENERATE_KEY = (
    'ledger keys generate  (or: python -c "import base64, os;'
    ' print(base64.b64encode(os.urandom(32)).decode())")'
)


class MissingKeyError(ValueError):
    """A key the ledger needs is not given, and outside the embedded default none is made up."""


class Settings(BaseSettings):
    """Everything an operator can set; the defaults run the embedded SQLite ledger."""

    model_config = SettingsConfigDict(env_prefix="LEDGER_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8000
    # API processes (`ledger serve`); more than one needs PostgreSQL and read models in their
    # own processes (`ledger project NAME`).
    workers: int = 1
    # Seconds a writer waits for the event table's lock before giving up (0 would wait forever).
    store_lock_timeout: int = 5
    store_pool_size: int = 5
    store_max_overflow: int = 10
    # Seconds to wait for a connection from the pool.
    store_connect_timeout: int = 10
    # Follow the log in threads of the API process: default yes on SQLite, no on PostgreSQL
    # (production runs `ledger project NAME` per read model).
    projections_in_process: bool | None = None
    projection_batch: int = 500
    # Aggregates kept in memory per process (0: none); reads fast-forward them from the store.
    aggregate_cache_size: int = 1000
    # Commands that may wait for the event-store write in progress (group commit); past this,
    # or past commit_wait_seconds of waiting, a command is refused with 503 and Retry-After.
    commit_queue_limit: int = 512
    commit_wait_seconds: float = 10.0
    projection_poll_interval: float = 0.05
    # `ledger project` on PostgreSQL wakes on each write's NOTIFY, and polls only in case one
    # is lost.
    projection_fallback_poll: float = 1.0
    # Seconds `ledger project` waits after each round at the head, to read the writes that
    # follow in one batch (see Follower.run).
    projection_linger: float = 0.010
    # A read given min_position waits this long for its read model at most.
    read_wait_seconds: float = 5.0
    # Schema work (tables, types, functions) at start; `ledger serve --workers` does it once in
    # its supervisor and starts the API processes without.
    create_schema: bool = True
    # /ready fails when a read model or the seal is further behind the log head than this many
    # positions, or than this many seconds (the oldest event it lacks was recorded that long
    # ago), or when its follower has not reported for that long.
    ready_max_lag: int = 10_000
    ready_max_lag_seconds: float = 30.0

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
    max_body_bytes: int = 2_000_000

    # Keys, each 32 bytes in base64, given as a value or as a file. Only the embedded default
    # (SQLite) generates a missing one into var/; on PostgreSQL a missing key refuses the start,
    # since every host of one ledger needs the same keys (see `missing_keys`).
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
    checkpoint_every_events: int = 1000
    checkpoint_every_seconds: float = 60.0
    # Every signed checkpoint is also appended here (one JSON line each, fsynced): a record
    # outside the database, for auditors (`ledger verify --trusted FILE`). Keep it where the
    # database's writers cannot write, e.g. another host's mount or an append-only file.
    checkpoint_log: Path | None = None

    @property
    def embedded(self) -> bool:
        """The embedded default: one SQLite ledger on this host, its keys made on first start."""
        return urlsplit(self.database_url).scheme == "sqlite"

    def jwt_secret(self) -> bytes:
        """The HS256 secret: given, or (embedded default) generated into var/ on first start."""
        return self._text(self.jwt_secret_value, self.jwt_secret_file, "LEDGER_JWT_SECRET").encode()

    def seal_signer(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(
            self._secret(
                self.seal_signing_key, self.seal_signing_key_file, "LEDGER_SEAL_SIGNING_KEY"
            )
        )

    def kek(self) -> bytes:
        """The key-encryption key: given, or (embedded default) generated into var/."""
        return self._secret(
            self.key_encryption_key, self.key_encryption_key_file, "LEDGER_KEY_ENCRYPTION_KEY"
        )

    def missing_keys(self, *, tokens: bool = True) -> list[str]:
        """The variables of keys neither given nor to be generated here (empty when embedded).

        A key generated into one host's var/ would differ on the next host (or a new container):
        personal data written there could not be read here, checkpoints would carry another
        signature, and tokens of one host would be refused by the other. `tokens`: whether this
        process checks tokens (`ledger serve`, `ledger token`); with a JWKS none is needed.
        """
        if self.embedded:
            return []
        wanted = [
            ("LEDGER_KEY_ENCRYPTION_KEY", self.key_encryption_key, self.key_encryption_key_file),
            ("LEDGER_SEAL_SIGNING_KEY", self.seal_signing_key, self.seal_signing_key_file),
        ]
        if tokens and not (self.jwks_file or self.jwks_url):
            wanted.append(("LEDGER_JWT_SECRET", self.jwt_secret_value, self.jwt_secret_file))
        return [name for name, value, path in wanted if not value and not path.is_file()]

    def require_keys(self, *, tokens: bool = True) -> None:
        """Refuse, naming each missing key and how to make one, unless all are given."""
        missing = self.missing_keys(tokens=tokens)
        if missing:
            raise MissingKeyError(missing_keys_message(missing))

    def _secret(self, value: str | None, path: Path, variable: str) -> bytes:
        return base64.b64decode(self._text(value, path, variable))

    def _text(self, value: str | None, path: Path, variable: str) -> str:
        """A key from the environment, or from its file; generated only by the embedded default."""
        if value:
            return value
        if self.embedded:
            return _generated(path)
        if path.is_file():
            return path.read_text().strip()
        raise MissingKeyError(missing_keys_message([variable]))

    def key_env(self) -> dict[str, str]:
        """Where the personal-data keys live: beside the events on PostgreSQL, their own file on
        SQLite (a copy of the event file alone then holds no readable personal data)."""
        env = self._side_store_env()
        if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
            events_file = Path(env["SQLITE_DBNAME"])
            env["SQLITE_DBNAME"] = str(events_file.with_suffix(".keys" + events_file.suffix))
        return env

    def erasure_list(self) -> Path:
        """Where erasures are listed: the setting, or erasures.list beside the SQLite file."""
        if self.erasure_list_file is not None:
            return self.erasure_list_file
        env = self.event_store_env()
        if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
            return Path(env["SQLITE_DBNAME"]).with_name("erasures.list")
        return Path("var/erasures.list")

    def read_model_env(self) -> dict[str, str]:
        """Where read models live: beside the events on PostgreSQL, their own file on SQLite."""
        env = self._side_store_env()
        if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
            # A file of their own: projection threads then never wait for the event writer's lock.
            events_file = Path(env["SQLITE_DBNAME"])
            env["SQLITE_DBNAME"] = str(events_file.with_suffix(".readmodels" + events_file.suffix))
        return env

    def _side_store_env(self) -> dict[str, str]:
        """The event store's settings, with a pool that opens one connection and grows on demand.

        Every process has three pools (events, keys, read models); opening five connections in
        each, an API and four read-model processes held 75 of PostgreSQL's default 100.
        """
        env = self.event_store_env()
        if env["PERSISTENCE_MODULE"] == "eventsourcing.postgres":
            env["POSTGRES_POOL_SIZE"] = "1"
            env["POSTGRES_MAX_OVERFLOW"] = str(self.store_pool_size + self.store_max_overflow - 1)
        return env

    def event_store_env(self) -> dict[str, str]:
        """The eventsourcing library's settings for the store named by `database_url`."""
        url = urlsplit(self.database_url)
        if url.scheme == "sqlite":
            # sqlite:///relative/path or sqlite:////absolute/path
            path = Path(unquote(url.path[1:]))
            path.parent.mkdir(parents=True, exist_ok=True)
            return {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(path),
                "SQLITE_LOCK_TIMEOUT": str(self.store_lock_timeout),
                "APPLICATION_RECORDER_TOPIC": "store.sqlite_log:LedgerSQLiteRecorder",
            }
        if url.scheme in ("postgresql", "postgres"):
            return {
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "POSTGRES_DBNAME": unquote(url.path.lstrip("/")) or "postgres",
                "POSTGRES_HOST": url.hostname or "127.0.0.1",
                "POSTGRES_PORT": str(url.port or 5432),
                "POSTGRES_USER": unquote(url.username or "postgres"),
                "POSTGRES_PASSWORD": unquote(url.password or ""),
                # postgresql://.../db?schema=name keeps the ledger's tables in their own schema.
                "POSTGRES_SCHEMA": parse_qs(url.query).get("schema", [""])[0],
                "POSTGRES_LOCK_TIMEOUT": str(self.store_lock_timeout),
                "POSTGRES_POOL_SIZE": str(self.store_pool_size),
                "POSTGRES_MAX_OVERFLOW": str(self.store_max_overflow),
                "POSTGRES_CONNECT_TIMEOUT": str(self.store_connect_timeout),
                # Never the DB-functions insert path: it skips the table lock that keeps
                # commit order equal to log order, and followers were seen to miss events.
                "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
                "APPLICATION_RECORDER_TOPIC": "store.pg_log:LedgerRecorder",
            }
        raise ValueError(
            f"LEDGER_DATABASE_URL must be sqlite:/// or postgresql://, not {url.scheme}"
        )


def fresh_key() -> str:
    """32 random bytes in base64: a new key-encryption key, signing key or HS256 secret."""
    return base64.b64encode(os.urandom(32)).decode()


def missing_keys_message(variables: list[str]) -> str:
    names = ", ".join(variables)
    return (
        f"ledger: refusing to start without {names}.\n"
        "Outside the embedded SQLite default no key is generated: every host of one ledger must"
        " use the same keys, or personal data written by one host is unreadable on another."
        f" Set {names} (32 random bytes in base64; or the same name with _FILE, naming a file"
        " that holds it) to the same value on every host. Generate each once with:\n"
        f"  {GENERATE_KEY}"
    ) + (
        "\nTokens may be checked against a JWKS instead (LEDGER_JWKS_FILE or LEDGER_JWKS_URL)."
        if "LEDGER_JWT_SECRET" in variables
        else ""
    )


def _generated(path: Path) -> str:
    """The text of a secret file, made with 32 random bytes (base64) on first start."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside, then linked into place: processes starting together agree on one key.
        aside = path.with_name(f".{path.name}.{os.getpid()}")
        aside.write_text(fresh_key())
        aside.chmod(0o600)
        try:
            os.link(aside, path)
        except FileExistsError:
            pass  # another process made it first: that one is the key
        finally:
            aside.unlink()
    return path.read_text().strip()
