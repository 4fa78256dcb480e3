"""`ledger serve --workers N`: N API processes on one listening socket, sharing connections.

Under uvicorn's own supervisor every process waits on the shared socket, and the first one
woken accepts every connection pending: a frontend (or the bench) opening its 16 keep-alive
connections at once had all of them served by one process while the other sat idle. Measured
over HTTP with 16 clients: all 17 connections (the probe's too) on one process in most runs,
a quarter of the machine idle, 1,211-1,383 commands/s against 1,636 with them split 8 and 9.

Here each process counts the connections it holds in memory the processes share. A process
holding more than the least busy one leaves a waiting connection to the others, and takes it
itself only if nobody has after a moment: connections spread evenly (8 and 9 in every run),
and a process whose event loop is stuck holds new ones up for 50 ms at most. (Waiting only
in proportion to its own connections split them 4 and 13, and 3 and 14.)
The supervisor restarts a process that dies, and on SIGTERM or SIGINT lets each finish:
uvicorn's graceful shutdown, then the Ledger's (commands already waiting are written). A process
whose supervisor is gone (killed) shuts down the same way within a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import socket
import threading
from collections.abc import Callable, Sized
from multiprocessing.process import BaseProcess
from ssl import SSLContext
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

# A process holding more connections than the least busy one looks again this often whether a
# waiting connection has been taken, and after the cap takes it itself.
DEFER_STEP = 0.001
MAX_DEFER = 0.05

logger = logging.getLogger("uvicorn.error")
# Connections held, one count per process, in memory the processes share.
Counts = Any


def serve(config: uvicorn.Config) -> int:
    """Run `config.workers` processes until SIGTERM or SIGINT; the exit status."""
    sock = config.bind_socket()
    sock.listen(config.backlog)  # uvicorn's own servers listen when they start serving
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    held = multiprocessing.get_context("spawn").RawArray("i", config.workers)
    processes = [_start(config, sock, held, i) for i in range(config.workers)]
    status = 0
    while not stopping.wait(0.5):
        for i, process in enumerate(processes):
            if process.is_alive():
                continue
            if process.exitcode == STARTUP_FAILURE:  # broken settings: every restart would fail
                logger.error("API process %s failed to start; stopping", process.pid)
                stopping.set()
                status = STARTUP_FAILURE
                break
            logger.warning("API process %s ended (%s); starting another", process.pid,
                           process.exitcode)  # fmt: skip
            processes[i] = _start(config, sock, held, i)
    for process in processes:
        process.terminate()  # SIGTERM: uvicorn's graceful shutdown
    for process in processes:
        process.join()
    sock.close()
    return status


def _start(config: uvicorn.Config, sock: socket.socket, held: Counts, me: int) -> BaseProcess:
    held[me] = 0
    spawn = multiprocessing.get_context("spawn")  # as uvicorn's workers: nothing inherited
    process = spawn.Process(target=_run, args=(config, held, me, [sock]))
    process.start()
    return process


def _run(config: uvicorn.Config, held: Counts, me: int, sockets: list[socket.socket]) -> None:
    config.configure_logging()
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C reaches every process: no traceback
        SharingServer(config, held, me).run(sockets)


class SharingServer(uvicorn.Server):
    """uvicorn's server, taking its connections from the shared sockets as described above."""

    def __init__(self, config: uvicorn.Config, held: Counts, me: int) -> None:
        super().__init__(config)
        self.held, self.me = held, me
        self.supervisor = os.getppid()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[])  # the lifespan, without uvicorn's own listeners
        config, loop = self.config, asyncio.get_running_loop()

        def protocol() -> asyncio.Protocol:
            return config.http_protocol_class(  # type: ignore[call-arg]
                config=config,
                server_state=self.server_state,
                app_state=self.lifespan.state,
                _loop=loop,
            )

        self._orphaned = loop.create_task(self._stop_when_orphaned())
        share = Share(self.server_state.connections, self.held, self.me)
        acceptors = [Acceptor(s, protocol, share, config.ssl) for s in sockets or []]
        self.servers = acceptors  # type: ignore[assignment]  # closed as servers are

    async def _stop_when_orphaned(self) -> None:
        """Shut down gracefully once the supervisor is gone (killed, say): nobody would stop or
        replace this process, and it would go on serving its share of the port."""
        while os.getppid() == self.supervisor:
            await asyncio.sleep(1.0)
        logger.warning("the supervisor is gone; shutting down")
        self.should_exit = True


class Share:
    """How many connections this process holds beyond the least busy one (counted when asked)."""

    def __init__(self, connections: Sized, held: Counts, me: int) -> None:
        self.connections, self.held, self.me = connections, held, me

    def excess(self) -> int:
        self.held[self.me] = len(self.connections)
        return int(self.held[self.me] - min(self.held))


class Acceptor:
    """Takes connections from one shared listening socket; closed like an asyncio server."""

    def __init__(
        self,
        sock: socket.socket,
        protocol: Callable[[], asyncio.Protocol],
        share: Share,
        ssl: SSLContext | None,
    ) -> None:
        self._sock, self._protocol, self._share = sock, protocol, share
        self._ssl = ssl
        sock.setblocking(False)
        self._task = asyncio.get_running_loop().create_task(self._accept())

    def close(self) -> None:
        self._task.cancel()

    async def wait_closed(self) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _accept(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._waiting()
            deferred = 0.0
            while self._share.excess() > 0 and deferred < MAX_DEFER:
                await asyncio.sleep(DEFER_STEP)
                deferred += DEFER_STEP
            try:
                conn, _ = self._sock.accept()
            except (BlockingIOError, InterruptedError):
                continue  # another process took it
            except OSError as error:  # out of file descriptors, say: not a reason to stop
                logger.warning("accept failed: %s", error)
                await asyncio.sleep(0.1)
                continue
            conn.setblocking(False)
            try:
                await loop.connect_accepted_socket(self._protocol, conn, ssl=self._ssl)
            except OSError:
                conn.close()  # the client went away meanwhile
            await asyncio.sleep(0)  # the protocol counts itself in when the loop next turns
            self._share.excess()  # counted at once, for the next connection's sake

    async def _waiting(self) -> None:
        """Until a connection waits on the socket (every process sharing it is woken)."""
        loop = asyncio.get_running_loop()
        ready = loop.create_future()
        fd = self._sock.fileno()

        def wake() -> None:
            if not ready.done():
                ready.set_result(None)

        loop.add_reader(fd, wake)
        try:
            await ready
        finally:
            loop.remove_reader(fd)
