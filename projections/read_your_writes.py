"""Read-your-writes: waiting until a read model has processed a given log position."""

from __future__ import annotations

import time

from projections.model import ReadModel


class ReadModelTimeoutError(Exception):
    """A read model did not reach the asked log position in time."""


def wait_for(model: ReadModel, position: int, timeout: float = 5.0) -> None:
    """Block until the live read model has processed `position` (read-your-writes), or time out.

    Checks grow apart from 2 ms up to 20 ms: a reader learns of its write at most 20 ms after the
    read model has it (ops/bench/DECISIONS.md).
    """
    deadline = time.monotonic() + timeout
    delay = 0.002
    while True:
        if model.live_position() >= position:
            return
        if time.monotonic() >= deadline:
            raise ReadModelTimeoutError(
                f"{model.name} has not reached position {position} within {timeout} s"
            )
        time.sleep(delay)
        delay = min(delay * 1.5, 0.02)
