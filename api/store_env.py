"""Where the events, the personal-data keys, the read models and the erasure list live: the
event-sourcing library's settings for each, from the database URL."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from api.settings import Settings


def event_store_env(settings: Settings) -> dict[str, str]:
    """The eventsourcing library's settings for the store named by `database_url`."""
    url = urlsplit(settings.database_url)
    if url.scheme == "sqlite":
        # sqlite:///relative/path or sqlite:////absolute/path
        path = Path(unquote(url.path[1:]))
        path.parent.mkdir(parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(path),
            "SQLITE_LOCK_TIMEOUT": str(settings.store_lock_timeout),
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
            "POSTGRES_LOCK_TIMEOUT": str(settings.store_lock_timeout),
            "POSTGRES_POOL_SIZE": str(settings.store_pool_size),
            "POSTGRES_MAX_OVERFLOW": str(settings.store_max_overflow),
            "POSTGRES_CONNECT_TIMEOUT": str(settings.store_connect_timeout),
            # Never the DB-functions insert path: it skips the table lock that keeps
            # commit order equal to log order, and followers were seen to miss events.
            "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
        }
    raise ValueError(f"LEDGER_DATABASE_URL must be sqlite:/// or postgresql://, not {url.scheme}")


def key_env(settings: Settings) -> dict[str, str]:
    """Where the personal-data keys live: beside the events on PostgreSQL, their own file on
    SQLite (a copy of the event file alone then holds no readable personal data)."""
    return _side_store_env(settings, ".keys")


def read_model_env(settings: Settings) -> dict[str, str]:
    """Where read models live: beside the events on PostgreSQL, their own file on SQLite (so
    projection threads never wait for the event writer's lock)."""
    return _side_store_env(settings, ".readmodels")


def erasure_list_path(settings: Settings) -> Path:
    """Where erasures are listed: the setting, or erasures.list beside the SQLite file."""
    if settings.erasure_list_file is not None:
        return settings.erasure_list_file
    env = event_store_env(settings)
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        return Path(env["SQLITE_DBNAME"]).with_name("erasures.list")
    return Path("var/erasures.list")


def _side_store_env(settings: Settings, sqlite_suffix: str) -> dict[str, str]:
    """The event store's settings, on SQLite in a file of its own, and on PostgreSQL with a
    pool that opens one connection and grows on demand.

    Every process has three pools (events, keys, read models): opening five in each held too
    many of PostgreSQL's connections (ops/bench/DECISIONS.md).
    """
    env = event_store_env(settings)
    if env["PERSISTENCE_MODULE"] == "eventsourcing.postgres":
        env["POSTGRES_POOL_SIZE"] = "1"
        env["POSTGRES_MAX_OVERFLOW"] = str(
            settings.store_pool_size + settings.store_max_overflow - 1
        )
    else:
        events_file = Path(env["SQLITE_DBNAME"])
        env["SQLITE_DBNAME"] = str(events_file.with_suffix(sqlite_suffix + events_file.suffix))
    return env
