"""An HTTP/1.1 load generator: one thread, keep-alive sockets, one request in flight on each.

It shares the two cores with what it measures, so it should take as little as it can:
`http.client` on 16 threads used 0.26 cores at ~900 requests/s (0.29 ms a request), much of it
in Python's thread hand-offs. The bench prints this loop's own CPU per request beside its rate.

Two ways to connect: `closed_loop` opens every connection at once and keeps it, as a pool that
starts full does; `staggered` starts its clients one after another and has each reconnect now
and then, as clients behind a load balancer (or browsers) come and go.
"""

from __future__ import annotations

import random
import selectors
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from measure import Rate, percentile


@dataclass
class _Connection:
    sock: socket.socket
    request: bytes
    sent_at: float = 0.0
    received: bytearray = field(default_factory=bytearray)
    reconnect_at: float = float("inf")


def closed_loop(port: int, requests: list[bytes], seconds: float) -> tuple[Rate, float]:
    """Send each request over a connection of its own, again as soon as it is answered, for
    `seconds`. The rate and latency of the answered requests, and this loop's CPU per request
    in seconds. Any answer but 2xx stops the run with its status line and body."""
    return _run(port, requests, seconds, [0.0] * len(requests), lifetime=None)


def staggered(
    port: int,
    requests: list[bytes],
    seconds: float,
    ramp: float = 2.0,
    reconnect: float = 1.0,
    seed: int = 0,
) -> tuple[Rate, float]:
    """As `closed_loop`, but the clients start at random moments over `ramp` seconds, and each
    opens a new connection after about `reconnect` seconds on one (half to one and a half
    times, at random). Measured for `seconds` once the last has started; the first
    request on a new connection counts its connecting too."""
    chance = random.Random(seed)
    starts = [chance.uniform(0, ramp) for _ in requests]
    return _run(port, requests, seconds, starts, lambda: reconnect * chance.uniform(0.5, 1.5))


def _run(
    port: int,
    requests: list[bytes],
    seconds: float,
    starts: list[float],
    lifetime: Callable[[], float] | None,
) -> tuple[Rate, float]:
    selector = selectors.DefaultSelector()
    connections: list[_Connection] = []
    latencies: list[float] = []
    waiting = sorted(zip(starts, requests, strict=True), key=lambda client: client[0])
    began = time.perf_counter()
    measured_from = began + max(starts, default=0.0)
    stop = measured_from + seconds
    cpu, measuring = 0.0, False

    def connect(request: bytes) -> None:
        sent_at = time.perf_counter()
        connection = _Connection(_socket(port), request)
        connection.reconnect_at = sent_at + lifetime() if lifetime else float("inf")
        selector.register(connection.sock, selectors.EVENT_READ, connection)
        connections.append(connection)
        _send(connection)
        connection.sent_at = sent_at  # the first answer's wait counts the connecting

    try:
        while (now := time.perf_counter()) < stop:
            if not measuring and now >= measured_from:  # every client has started
                cpu, latencies, measuring = time.process_time(), [], True
            while waiting and began + waiting[0][0] <= now:
                connect(waiting.pop(0)[1])
            timeout = began + waiting[0][0] - now if waiting else 0.1
            for key, _ in selector.select(timeout=min(max(timeout, 0.0), 0.1)):
                connection = key.data
                if not _answered(connection):
                    continue
                answered = time.perf_counter()
                latencies.append(answered - connection.sent_at)
                if answered < connection.reconnect_at:
                    _send(connection)
                    continue
                selector.unregister(connection.sock)
                connection.sock.close()
                connections.remove(connection)
                connect(connection.request)
        elapsed = time.perf_counter() - measured_from
        per_request = (time.process_time() - cpu) / max(len(latencies), 1)
    finally:
        for connection in connections:
            selector.unregister(connection.sock)
            connection.sock.close()
    rate = Rate(len(latencies) / elapsed, percentile(latencies, 0.5), percentile(latencies, 0.99))
    return rate, per_request


def _socket(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setblocking(False)
    return sock


def _send(connection: _Connection) -> None:
    connection.received.clear()
    connection.sent_at = time.perf_counter()
    connection.sock.sendall(connection.request)  # small: the socket buffer takes it at once


def _answered(connection: _Connection) -> bool:
    """Read what has arrived; whether the answer is now complete."""
    chunk = connection.sock.recv(65536)
    if not chunk:
        raise RuntimeError("the server closed a connection")
    received = connection.received
    received += chunk
    end = received.find(b"\r\n\r\n")
    if end < 0:
        return False
    head = bytes(received[:end]).lower() + b"\r\n"
    start = head.find(b"\r\ncontent-length:")
    length = int(head[start + 17 : head.find(b"\r\n", start + 2)]) if start >= 0 else 0
    if len(received) < end + 4 + length:
        return False
    if not head.startswith(b"http/1.1 2"):
        raise RuntimeError(f"answered {bytes(received[: end + 4 + length])[:400]!r}")
    return True


def post(path: str, headers: dict[str, str], body: bytes) -> bytes:
    """A POST request's bytes, as a keep-alive client sends it."""
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body
