"""Readiness, checked in a thread of its own and answered from memory.

`/ready` and `/metrics` read the last check, so they answer at once however busy the process
is: a check that asks the store on the request's behalf waits for the thread pool and the
connections that the load holds (ops/bench/DECISIONS.md). A check that has not succeeded lately
makes the process not ready.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import PersistenceError

from projections.status import Status

CHECK_EVERY_SECONDS = 0.5
logger = logging.getLogger("ledger.readiness")


@dataclass(frozen=True)
class Check:
    """One check: when it ended (monotonic), what it found, or why it failed."""

    at: float
    statuses: tuple[Status, ...] = ()
    failure: str | None = None


class ReadinessMonitor:
    """Runs `check` every `every` seconds in a daemon thread; keeps the last result."""

    def __init__(
        self, check: Callable[[], list[Status]], every: float = CHECK_EVERY_SECONDS
    ) -> None:
        self._check = check
        self.every = every
        self.last: Check | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="readiness", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(10)

    def check_once(self) -> None:
        try:
            found = Check(time.monotonic(), tuple(self._check()))
        except (PersistenceError, OSError) as error:  # the store is unreachable or refused
            found = Check(time.monotonic(), failure=type(error).__name__)
        except Exception as error:
            # Anything else is a bug: logged in full and shown by /ready, and the checks go on
            # (a dead thread would leave /ready saying only that nothing was checked lately).
            logger.exception("readiness check failed")
            found = Check(time.monotonic(), failure=type(error).__name__)
        self.last = found  # one assignment: a reader sees the old check or the new one

    def _run(self) -> None:
        while not self._stopping.is_set():
            self.check_once()
            self._stopping.wait(self.every)


@dataclass(frozen=True)
class Limits:
    positions: int
    seconds: float


def judge(status: Status, limits: Limits) -> dict[str, Any]:
    """A read model's (or the seal's) part of `/ready`, with the reason it is not ready."""
    body: dict[str, Any] = {
        "position": status.position,
        "lag": status.lag,
        "lag_seconds": round(status.lag_seconds, 3),
        "heartbeat_seconds_ago": (
            None if status.heartbeat_age is None else round(status.heartbeat_age, 3)
        ),
    }
    follow = f"`ledger project {status.name}`"
    if status.heartbeat_age is None:
        reason = ("no_follower", f"no follower has ever reported: is {follow} running?")
    elif status.heartbeat_age > limits.seconds:
        reason = (
            "follower_silent",
            f"its follower last reported {status.heartbeat_age:.1f} s ago (limit"
            f" {limits.seconds:g} s): is {follow} running, and does it get connections?",
        )
    elif status.lag_seconds > limits.seconds:
        reason = (
            "lagging",
            f"the oldest event it lacks was recorded {status.lag_seconds:.1f} s ago"
            f" (limit {limits.seconds:g} s)",
        )
    elif status.lag > limits.positions:
        reason = ("lagging", f"{status.lag} positions behind (limit {limits.positions})")
    else:
        return {**body, "ready": True}
    return {**body, "ready": False, "reason": reason[0], "detail": reason[1]}


def readiness(monitor: ReadinessMonitor, limits: Limits) -> dict[str, Any]:
    """The body of `/ready`: every read model and the seal, judged from the last check."""
    last, now = monitor.last, time.monotonic()
    if last is None:
        return {"ready": False, "reason": "unchecked", "detail": "starting: not checked yet"}
    age = now - last.at
    if last.failure is not None or age > limits.seconds:
        return {
            "ready": False,
            "reason": "store_unchecked",
            "detail": (
                f"the store did not answer the last check ({last.failure})"
                if last.failure
                else f"the store has not answered a check for {age:.1f} s"
            ),
            "checked_seconds_ago": round(age, 3),
        }
    judged = {status.name: judge(status, limits) for status in last.statuses}
    seal = judged.pop("seal")
    return {
        "ready": seal["ready"] and all(model["ready"] for model in judged.values()),
        "head": last.statuses[0].head if last.statuses else 0,
        "checked_seconds_ago": round(age, 3),
        "read_models": judged,
        "seal": seal,
    }
