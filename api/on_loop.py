"""Run a synchronous Ledger call on the event loop, pausing it where it waits for the store."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from store.cooperative import CommandGreenlet, Start


async def run_on_loop(call: Callable[..., Any], *args: Any) -> Any:
    """`call(*args)` in a greenlet of its own on this thread; see store/cooperative.py."""
    loop = asyncio.get_running_loop()
    command = CommandGreenlet(call)
    request = command.switch(*args)
    while not command.dead:
        start, limit = request
        try:
            value = await _wait(loop, start, limit)
        except BaseException as error:  # the command's to handle, as it would a blocking call's
            request = command.throw(error)
        else:
            request = command.switch(value)
    return request


async def _wait(loop: asyncio.AbstractEventLoop, start: Start, limit: float | None) -> Any:
    future = loop.create_future()

    def done(value: Any, error: BaseException | None) -> None:
        with suppress(RuntimeError):  # the loop has closed: nobody waits for this any more
            loop.call_soon_threadsafe(_settle, future, value, error)

    give_up = start(done)
    timer = loop.call_later(limit, give_up) if give_up is not None and limit else None
    try:
        return await future
    finally:
        if timer is not None:
            timer.cancel()


def _settle(future: asyncio.Future[Any], value: Any, error: BaseException | None) -> None:
    if future.done():  # the request was cancelled meanwhile
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)
