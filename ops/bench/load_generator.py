"""A closed-loop HTTP/1.1 load generator: one thread, keep-alive sockets, one request in flight.

It shares the two cores with what it measures, so it should take as little as it can:
`http.client` on 16 threads used 0.26 cores at ~900 requests/s (0.29 ms a request), much of it
in Python's thread hand-offs. The bench prints this loop's own CPU per request beside its rate.
"""

from __future__ import annotations

import selectors
import socket
import time
from dataclasses import dataclass, field

from measure import Rate, percentile


@dataclass
class _Connection:
    sock: socket.socket
    request: bytes
    sent_at: float = 0.0
    received: bytearray = field(default_factory=bytearray)


def closed_loop(port: int, requests: list[bytes], seconds: float) -> tuple[Rate, float]:
    """Send each request over a connection of its own, again as soon as it is answered, for
    `seconds`. The rate and latency of the answered requests, and this loop's CPU per request
    in seconds. Any answer but 2xx stops the run with its status line and body."""
    selector = selectors.DefaultSelector()
    connections = []
    for request in requests:
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        connection = _Connection(sock, request)
        connections.append(connection)
        selector.register(sock, selectors.EVENT_READ, connection)
    latencies: list[float] = []
    cpu, started = time.process_time(), time.perf_counter()
    stop = time.monotonic() + seconds
    try:
        for connection in connections:
            _send(connection)
        while time.monotonic() < stop:
            for key, _ in selector.select(timeout=1.0):
                connection = key.data
                if _answered(connection):
                    latencies.append(time.perf_counter() - connection.sent_at)
                    _send(connection)
        elapsed = time.perf_counter() - started
        per_request = (time.process_time() - cpu) / max(len(latencies), 1)
    finally:
        for connection in connections:
            selector.unregister(connection.sock)
            connection.sock.close()
    rate = Rate(len(latencies) / elapsed, percentile(latencies, 0.5), percentile(latencies, 0.99))
    return rate, per_request


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
