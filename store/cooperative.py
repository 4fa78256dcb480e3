"""Commands run on an event loop's thread, pausing where they would wait for the store.

`api/on_loop.py` runs a command in a greenlet of its own on the event loop's thread. Where the
Ledger would block, on its group's write, on a read of the store, or for its turn or between
attempts after losing a race, it calls `wait_for`, `blocking`, `until_called` or `pause`
instead: the greenlet hands the loop a function that starts the wait and says when
it ended, and the loop serves other requests meanwhile. Anywhere else (threads, imports,
tests) `paused` is false and the Ledger blocks its thread as it always did.

Handing each command to a thread of a pool cost a wake-up of that thread, and the thread woke
others in turn (the next leader of a group, each follower), and each wake-up of an idle core
held the event loop up (ops/bench/DECISIONS.md).

State a command keeps while it decides is in context variables, which are the greenlet's own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from greenlet import getcurrent, greenlet

T = TypeVar("T")
# Told the wait's value, or the error that ended it (from any thread).
Done = Callable[[Any, BaseException | None], None]
# Starts a wait; may return what gives the wait up if it lasts too long.
Start = Callable[[Done], Callable[[], None] | None]

# Reads of the store that a command on the event loop waits for (a key seen before, an
# aggregate not saved lately): rare when the recently saved aggregates serve.
READ_THREADS = 8
_reads = ThreadPoolExecutor(READ_THREADS, thread_name_prefix="store-read")


class CommandGreenlet(greenlet):
    """A command running on the event loop's thread."""


def paused() -> bool:
    """Whether a wait here pauses a command on the event loop (else it blocks a thread)."""
    return isinstance(getcurrent(), CommandGreenlet)


def wait_for(start: Start, limit: float | None = None) -> Any:
    """In a command greenlet: have the loop start the wait and serve others until it ends; its
    value, or its error raised here. After `limit` seconds the loop calls what `start` returned,
    to give the wait up."""
    loop = getcurrent().parent
    assert loop is not None, "wait_for outside a command greenlet"
    return loop.switch((start, limit))


def blocking(call: Callable[..., T], *args: Any) -> T:
    """`call(*args)`: in a command greenlet, on a thread of the read pool while the loop goes on."""
    if not paused():
        return call(*args)

    def start(done: Done) -> None:
        def tell(future: Future[T]) -> None:
            error = future.exception()
            done(None if error else future.result(), error)

        _reads.submit(call, *args).add_done_callback(tell)

    result: T = wait_for(start)
    return result


def until_called(subscribe: Callable[[Callable[[], None]], bool], limit: float) -> None:
    """Wait until the function handed to `subscribe` is called (from any thread), for at most
    `limit` seconds; `subscribe` answers False if there is nothing to wait for. In a command
    greenlet the loop serves others meanwhile; anywhere else the thread waits."""
    if paused():

        def start(done: Done) -> Callable[[], None]:
            def wake() -> None:
                done(None, None)

            if not subscribe(wake):
                wake()
            return wake  # called by the loop when `limit` is up: the wait ends either way

        wait_for(start, limit)
        return
    woken = threading.Event()
    if subscribe(woken.set):
        woken.wait(limit)


def pause(seconds: float) -> None:
    """Wait `seconds`, serving others meanwhile if on the loop: nobody calls the wake-up, so the
    limit ends the wait (on the loop, by the loop's own timer: no thread sleeps for it)."""
    until_called(lambda wake: True, seconds)
