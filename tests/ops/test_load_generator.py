"""The bench's load generator counts an answer only once it has fully arrived, stops on any
answer that is not a success, and can have its clients come one after another and reconnect."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[2] / "ops" / "bench"))
from load_generator import _answered, _Connection, closed_loop, post, staggered

CLIENTS = 4


class Recording(BaseHTTPRequestHandler):
    """Answers every POST at once, and notes when each connection first asked."""

    protocol_version = "HTTP/1.1"
    first_requests: dict[tuple[str, int], float]

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.first_requests.setdefault(self.client_address, time.monotonic())
        self.wfile.write(b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[int, dict[tuple[str, int], float]]]:
    first_requests: dict[tuple[str, int], float] = {}
    handler = type("Handler", (Recording,), {"first_requests": first_requests})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever)
    thread.start()
    yield httpd.server_address[1], first_requests
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def a_connection() -> tuple[_Connection, socket.socket]:
    ours, server = socket.socketpair()
    return _Connection(ours, b""), server


def test_an_answer_arriving_in_pieces_is_complete_only_with_its_whole_body() -> None:
    connection, server = a_connection()
    answer = b'HTTP/1.1 201 Created\r\nContent-Length: 12\r\nETag: "3"\r\n\r\n{"id": "x"}\n'
    for piece, complete in ((answer[:20], False), (answer[20:60], False), (answer[60:], True)):
        server.sendall(piece)
        assert _answered(connection) is complete


def test_an_answer_that_is_not_a_success_stops_the_run_with_its_body() -> None:
    connection, server = a_connection()
    server.sendall(b"HTTP/1.1 409 Conflict\r\ncontent-length: 18\r\n\r\n" + b'{"code":"refused"}')
    with pytest.raises(RuntimeError, match="refused"):
        _answered(connection)


def test_a_request_carries_its_headers_and_the_length_of_its_body() -> None:
    request = post("/v1/x", {"Authorization": "Bearer t"}, b'{"a": 1}')
    head, body = request.split(b"\r\n\r\n")
    assert head.split(b"\r\n")[0] == b"POST /v1/x HTTP/1.1"
    assert b"Content-Length: 8" in head
    assert b"Authorization: Bearer t" in head
    assert body == b'{"a": 1}'


def test_a_closed_loop_keeps_one_connection_per_client(
    server: tuple[int, dict[tuple[str, int], float]],
) -> None:
    port, first_requests = server
    rate, _ = closed_loop(port, [post("/x", {}, b"{}")] * CLIENTS, 0.5)
    assert rate.per_second > 0
    assert len(first_requests) == CLIENTS


def test_staggered_clients_start_one_after_another(
    server: tuple[int, dict[tuple[str, int], float]],
) -> None:
    port, first_requests = server
    requests = [post("/x", {}, b"{}")] * CLIENTS
    rate, _ = staggered(port, requests, 0.2, ramp=0.4, reconnect=60.0)
    assert rate.per_second > 0
    assert len(first_requests) == CLIENTS
    assert max(first_requests.values()) - min(first_requests.values()) > 0.1


def test_staggered_clients_reconnect_now_and_then(
    server: tuple[int, dict[tuple[str, int], float]],
) -> None:
    port, first_requests = server
    requests = [post("/x", {}, b"{}")] * CLIENTS
    rate, _ = staggered(port, requests, 0.6, ramp=0.0, reconnect=0.1)
    assert rate.per_second > 0
    assert len(first_requests) > 2 * CLIENTS  # each reconnected, more than once
