"""The measurements of `make bench`, each beside its raw PostgreSQL reference of the same run."""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg

from api.bootstrap import ledger_for
from domain.base import Actor
from domain.commands import Context
from domain.episode import Episode
from domain.ledger import Ledger
from tests.integration.scenario import an_episode

ACTOR = Context(Actor("bench", "caseworker"))
PAYLOAD = (
    b'{"kind":"home_care","quantity":1,"settlement":"village-01","occurred_on":"2025-03-01"}' * 2
)


@dataclass(frozen=True)
class Rate:
    per_second: float
    p50_ms: float
    p99_ms: float


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


def run_threads(threads: int, seconds: float, work: Callable[[int], None]) -> Rate:
    """Call work(thread) in a loop on each thread for `seconds`; rate and latency of the calls."""
    latencies: list[list[float]] = [[] for _ in range(threads)]
    stop = time.monotonic() + seconds
    barrier = threading.Barrier(threads)

    def loop(i: int) -> None:
        barrier.wait()
        while time.monotonic() < stop:
            started = time.perf_counter()
            work(i)
            latencies[i].append(time.perf_counter() - started)

    started = time.perf_counter()
    pool = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    every = [x for thread_latencies in latencies for x in thread_latencies]
    return Rate(len(every) / elapsed, percentile(every, 0.5), percentile(every, 0.99))


def raw_single_row(url: str, threads: int, seconds: float) -> Rate:
    """Reference: single-row INSERT transactions, one connection per client."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS raw_bench (id bigserial PRIMARY KEY, data bytea)")
    conns = [psycopg.connect(url, autocommit=True) for _ in range(threads)]
    try:
        return run_threads(
            threads, seconds,
            lambda i: conns[i].execute("INSERT INTO raw_bench (data) VALUES (%s)", (PAYLOAD,)),
        )  # fmt: skip
    finally:
        for conn in conns:
            conn.close()


def ledger_single_command(ledger: Ledger, program: uuid.UUID, threads: int, seconds: float) -> Rate:
    """The Ledger in process: one service command per transaction, each thread its own episode."""
    episodes = [an_episode(ledger, program) for _ in range(threads)]
    return run_threads(
        threads, seconds,
        lambda i: ledger.deliver_service(ACTOR, episodes[i], kind="home_care", quantity=1,
                                         settlement="village-01", occurred_on=date(2025, 3, 1)),
    )  # fmt: skip


def raw_copy(url: str, rows: int) -> float:
    """Reference for bulk import: COPY of event-shaped rows; rows a second."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS raw_events (originator_id uuid, originator_version int,"
            " topic text, state bytea, notification_id bigserial PRIMARY KEY)"
        )
        started = time.perf_counter()
        with conn.cursor().copy(
            "COPY raw_events (originator_id, originator_version, topic, state) FROM STDIN"
        ) as copy:
            origin = uuid.uuid4()
            for n in range(rows):
                copy.write_row((origin, n + 1, "ledger:Episode.ServiceDelivered", PAYLOAD))
        return rows / (time.perf_counter() - started)


def sequential_read(url: str, schema: str) -> float:
    """Reference for rebuilds: stream the whole events table in position order; rows a second."""
    with psycopg.connect(url) as conn:
        started = time.perf_counter()
        count = 0
        with conn.cursor(name="scan") as cursor:
            cursor.itersize = 5000
            cursor.execute(f'SELECT * FROM "{schema}".ledger_events ORDER BY notification_id')
            for _ in cursor:
                count += 1
        return count / (time.perf_counter() - started)


def history_replay(ledger: Ledger, episode_id: uuid.UUID, reads: int) -> tuple[Rate, Rate]:
    """Rebuild one long episode's state: from its snapshot, and from its events alone."""

    def from_events() -> Any:
        state = None
        for event in ledger.events.get(episode_id):
            state = event.mutate(state)
        return state

    with_snapshots = run_count(reads, lambda: ledger.repository.get(episode_id))
    without = run_count(reads, from_events)
    return with_snapshots, without


def run_count(times: int, work: Callable[[], Any]) -> Rate:
    latencies = []
    started = time.perf_counter()
    for _ in range(times):
        begun = time.perf_counter()
        work()
        latencies.append(time.perf_counter() - begun)
    elapsed = time.perf_counter() - started
    return Rate(times / elapsed, percentile(latencies, 0.5), percentile(latencies, 0.99))


def long_episode(ledger: Ledger, program: uuid.UUID, events: int) -> uuid.UUID:
    episode_id = an_episode(ledger, program)
    episode = ledger.load(Episode, episode_id)
    for n in range(events - episode.version):
        day = date(2025, 1, 1 + n % 28)
        episode.deliver_service("home_care", 1, "village-01", day, ACTOR.actor,
                                ledger.clock())  # fmt: skip
        if n % 100 == 99:
            ledger.save(episode)
    ledger.save(episode)
    return episode_id


def python_reference(iterations: int = 5_000_000) -> float:
    """Seconds for a fixed pure-Python loop: how fast this machine runs Python today.

    These machines were seen to differ 2-3 times from one day to the next, in PostgreSQL and in
    Python alike; the CPU-bound figures (HTTP, import, rebuild) move with this one.
    """
    started = time.process_time()
    total = 0
    for n in range(iterations):
        total += n
    return time.process_time() - started


def summary(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


__all__ = ["ledger_for"]
