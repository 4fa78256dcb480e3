"""Commands on the event loop (as the API runs them) never wait for the store on the loop's thread:
while the store is slow, the loop keeps serving others within a few milliseconds."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlsplit

import psycopg
from psycopg import sql

from api.on_loop import run_on_loop
from domain.ledger import Ledger
from tests.conftest_stores import LedgerFactory
from tests.integration.scenario import ADMIN, a_participant

# The loop's longest stall allowed while commands wait for a slow store.
MAX_LAG = 0.020
SLOW = 0.2


@contextmanager
def slow_store(store_url: str) -> Iterator[None]:
    """On PostgreSQL, the event and key tables locked by another connection for SLOW seconds:
    every read of them waits meanwhile. (A SQLite reader never waits for a writer: there the
    commands meet the store as it is.)"""
    if not store_url.startswith("postgresql"):
        yield
        return
    parts = urlsplit(store_url)
    schema = parts.query and parse_qs(parts.query)["schema"][0]
    locked = threading.Event()

    def hold() -> None:
        with psycopg.connect(parts._replace(query="").geturl()) as conn:
            for table in ("ledger_events", "personal_data_keys"):
                conn.execute(
                    sql.SQL("LOCK TABLE {}.{} IN ACCESS EXCLUSIVE MODE").format(
                        sql.Identifier(schema), sql.Identifier(table)
                    )
                )
            locked.set()
            time.sleep(SLOW)
            conn.rollback()

    holder = threading.Thread(target=hold)
    holder.start()
    locked.wait(5)
    try:
        yield
    finally:
        holder.join()


async def lag_while(*calls: Any) -> tuple[float, list[Any]]:
    """The loop's longest stall beyond a 1 ms tick while the calls run on it, and their outcomes."""
    worst = 0.0
    done = False

    async def probe() -> None:
        nonlocal worst
        while not done:
            started = time.perf_counter()
            await asyncio.sleep(0.001)
            worst = max(worst, time.perf_counter() - started - 0.001)

    ticking = asyncio.create_task(probe())
    await asyncio.sleep(0.01)
    outcomes = await asyncio.gather(*(run_on_loop(*call) for call in calls), return_exceptions=True)
    done = True
    await ticking
    return worst, list(outcomes)


def define(ledger: Ledger, code: str) -> Any:
    return ledger.define_program(
        ADMIN,
        code=code,
        name="Far north",
        financing="grant",
        period_start=date(2024, 1, 1),
        period_end=date(2024, 12, 31),
        targets={"served": 10},
    )


def erase(ledger: Ledger, participant: Any) -> Any:
    return ledger.erase_participant(ADMIN, participant, reason="asked to be forgotten")


def test_an_erasure_and_a_program_named_by_code_do_not_hold_the_loop_while_the_store_is_slow(
    store_url: str, new_ledger: LedgerFactory
) -> None:
    participant = a_participant(new_ledger())
    ledger = new_ledger()  # nothing of the participant in memory: every read goes to the store

    async def main() -> tuple[float, list[Any]]:
        with slow_store(store_url):
            return await lag_while((define, ledger, "NORTH"), (erase, ledger, participant))

    worst, outcomes = asyncio.run(main())

    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    assert worst < MAX_LAG, f"the loop stalled {worst * 1000:.0f} ms"
