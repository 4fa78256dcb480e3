"""The bench's load generator counts an answer only once it has fully arrived, and stops on any
answer that is not a success."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[2] / "ops" / "bench"))
from load_generator import _answered, _Connection, post


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
