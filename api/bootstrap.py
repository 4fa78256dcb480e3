"""The composition root: every component of a process, built from settings by constructor."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import cast
from urllib.parse import urlsplit

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.persistence import ApplicationRecorder, Notification
from eventsourcing.postgres import PostgresApplicationRecorder

from api import keys
from api.metrics import Metrics
from api.readiness import ReadinessMonitor
from api.settings import Settings
from api.store_env import erasure_list_path, event_store_env, key_env, read_model_env
from domain.commands import utc_today
from domain.ledger import Ledger
from projections import heartbeats
from projections.follower import Follower
from projections.host import ProjectionHost
from projections.model import ReadModel
from projections.registry import READ_MODELS
from projections.seal import AuditChain
from projections.status import Status, statuses
from store.access_log import AccessLog
from store.committer import GroupCommitter, Observer
from store.erasure_list import ErasureList, ListedShredding
from store.keyring import SqlKeyRing
from store.person_index import SqlPersonIndex
from store.pg_log import LedgerRecorder
from store.read_store import ReadStore
from store.storage import LedgerStorage
from store.writes import CommandWrites


@dataclass(frozen=True)
class Components:
    """What a process needs: the Ledger, the read models, and (embedded) their follower threads."""

    settings: Settings
    ledger: Ledger
    store: ReadStore
    models: dict[str, ReadModel]
    access_log: AccessLog
    seal: AuditChain
    host: ProjectionHost | None = None
    metrics: Metrics | None = None
    readiness: ReadinessMonitor | None = None

    @property
    def committer(self) -> GroupCommitter:
        """The ledger's group committer: the depth of its queue and its groups are metrics."""
        writes = self.ledger.writes
        assert isinstance(writes, CommandWrites)  # what ledger_for builds
        return writes.committer

    def close(self) -> None:
        if self.readiness is not None:
            self.readiness.stop()
        if self.host is not None:
            self.host.stop()
        self.store.close()
        self.ledger.close()
        if isinstance(self.ledger.keyring, SqlKeyRing):  # its pool is the ring's own
            self.ledger.keyring.store.close()


@contextmanager
def schema_turn(settings: Settings) -> Iterator[None]:
    """Take turns with other starting processes to create tables, types and functions.

    PostgreSQL's CREATE ... IF NOT EXISTS is not safe against the same statement running at the
    same moment in another session ("duplicate key ... pg_type", "tuple concurrently updated"):
    the API and one process per read model, started together on a new database, collided.
    With `create_schema` off (the API processes of `ledger serve --workers`, whose supervisor
    made the schema) there is nothing to take turns for.
    """
    if not settings.create_schema or not settings.database_url.startswith("postgresql"):
        yield
        return
    server = urlsplit(settings.database_url)._replace(query="").geturl()
    with psycopg.connect(server, autocommit=True) as conn:  # the lock ends with the session
        conn.execute("SELECT pg_advisory_lock(hashtext('ledger schema'))")
        yield


def ledger_for(
    settings: Settings,
    clock: Callable[[], date] = utc_today,
    observe: Observer | None = None,
) -> Ledger:
    """The Ledger on the configured store, with the key ring of personal data beside it and
    the list of erasures outside it; `observe` is told of every group commit (metrics)."""
    kek = keys.kek(settings)
    fingerprint_key = hmac.new(kek, b"idempotency fingerprints", hashlib.sha256).digest()
    env = event_store_env(settings)
    # Recently used aggregates stay in memory; each read still fast-forwards from the store,
    # so writes from other processes are seen and a stale write is still refused.
    env["AGGREGATE_CACHE_MAXSIZE"] = str(settings.aggregate_cache_size)
    env["CREATE_TABLE"] = "y" if settings.create_schema else "n"
    with schema_turn(settings):
        keyring = SqlKeyRing(ReadStore(key_env(settings)), kek)
        storage = LedgerStorage(
            keyring,
            schema_made=not settings.create_schema,
            max_waiting=settings.commit_queue_limit,
            max_wait_seconds=settings.commit_wait_seconds,
            observe=observe,
        )
        return Ledger(
            env,
            storage=storage,
            clock=clock,
            fingerprint_key=fingerprint_key,
            shredding=ListedShredding(keyring, ErasureList(erasure_list_path(settings))),
            # Beside the keys, in their store: an erasure rewrites both (store/keyring.py).
            person_index=SqlPersonIndex(keyring.store, keyring),
        )


def audit_chain(settings: Settings, store: ReadStore, signer: Ed25519PrivateKey) -> AuditChain:
    return AuditChain(
        store,
        signer,
        every_events=settings.checkpoint_every_events,
        every_seconds=settings.checkpoint_every_seconds,
        checkpoint_log=settings.checkpoint_log,
    )


def build(
    settings: Settings,
    *,
    follow_in_process: bool | None = None,
    metrics: Metrics | None = None,
    check_readiness: bool = False,
) -> Components:
    """Build the components; followers run in threads if asked, by default on the SQLite store.

    `metrics` counts the committer's writes; `check_readiness` checks the read models in a
    thread of its own, as an API process answers `/ready` from memory.
    """
    ledger = ledger_for(settings, observe=metrics.observe_commit if metrics else None)
    signer = keys.seal_signer(settings)
    with schema_turn(settings):
        store = ReadStore(read_model_env(settings))
        models = {name: model_class(store) for name, model_class in READ_MODELS.items()}
        for model in models.values():
            model.create_tables()
        access = AccessLog(store, ledger.keyring)  # readers' reasons sealed with the person's key
        seal = audit_chain(settings, store, signer)
        if settings.create_schema:
            for model in [*models.values(), seal]:
                model.create_tables()
            heartbeats.create_table(store)
    if follow_in_process is None:
        follow_in_process = settings.projections_in_process
    if follow_in_process is None:
        follow_in_process = settings.database_url.startswith("sqlite")
    host = _followers(settings, ledger, store, signer) if follow_in_process else None
    readiness = readiness_monitor(ledger, store) if check_readiness else None
    return Components(settings, ledger, store, models, access, seal, host, metrics, readiness)


def serving(settings: Settings, metrics: Metrics) -> Components:
    """The components of an API process: `build`, counted, and readiness checked meanwhile."""
    return build(settings, metrics=metrics, check_readiness=True)


def _followers(
    settings: Settings, ledger: Ledger, store: ReadStore, signer: Ed25519PrivateKey
) -> ProjectionHost:
    """Threads following the log into every read model and the seal, started."""
    # Followers get model instances of their own: a rebuild may move them to a new generation.
    # The read models share one (one poll, one transaction a batch: SQLite takes one writer
    # at a time, commands included); the seal, which reads every event raw, has its own.
    read_models = [model_class(store) for model_class in READ_MODELS.values()]
    followers = [
        Follower(ledger, *read_models, batch_size=settings.projection_batch),
        Follower(
            ledger, audit_chain(settings, store, signer), batch_size=settings.projection_batch
        ),
    ]
    host = ProjectionHost(followers, poll_interval=settings.projection_poll_interval)
    host.start()
    return host


def readiness_monitor(ledger: Ledger, store: ReadStore) -> ReadinessMonitor:
    """Checks of every read model and the seal, through the read-model store's pool: commands
    hold the event store's connections, and a check must not queue behind them. (On PostgreSQL
    the events are in the same database; a pool of its own would cost every API process one
    more connection for good, where connections may be scarce.) Checked once before the first
    request, then in the background."""
    recorder: ApplicationRecorder = ledger.recorder
    if isinstance(recorder, PostgresApplicationRecorder):
        recorder = LedgerRecorder(
            store.factory.datastore,  # type: ignore[attr-defined]
            events_table_name=recorder.events_table_name,
        )
    names = [*READ_MODELS, AuditChain.name]

    def recorded(notification: Notification) -> datetime:
        """When a stored event was recorded: its envelope's time, readable without any key."""
        return cast(datetime, ledger.mapper.transcoder.decode(notification.state)["timestamp"])

    def check() -> list[Status]:
        return statuses(recorder, store, names, recorded, datetime.now(UTC))

    monitor = ReadinessMonitor(check)
    monitor.check_once()
    monitor.start()
    return monitor
