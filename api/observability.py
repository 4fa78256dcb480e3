"""One JSON log line per request with its request id, counted in the metrics; no personal data."""

from __future__ import annotations

import logging
import random
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import orjson
import structlog
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from prometheus_client import Counter, Histogram
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.client_text import refused_in_url
from api.metrics import Metrics
from api.problems import MEDIA_TYPE, internal_error, problem

REQUEST_ID = "X-Request-ID"
PROJECT = Path(__file__).resolve().parents[1]
# A kind of request's series: requests, latency, and commands (for commands only).
Series = tuple[Counter, Histogram, Counter | None]


def configure_logging() -> None:
    """JSON lines in production (rendered by orjson: a line per request), readable on a terminal."""
    binary = None if sys.stderr.isatty() else getattr(sys.stderr, "buffer", None)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.dev.ConsoleRenderer()
            if binary is None
            else structlog.processors.JSONRenderer(serializer=orjson.dumps),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr)
        if binary is None
        else structlog.BytesLoggerFactory(binary),
        cache_logger_on_first_use=True,
    )


def observed(app: FastAPI, inner: ASGIApp, metrics: Metrics, max_body_bytes: int) -> Observe:
    """`inner`, the way `app` serves requests, observed."""
    # FastAPI's own pages are routes that do not mark the scope with themselves; their paths
    # are fixed (no ids in them), so they label their requests as they are.
    pages = {app.openapi_url, app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url}
    return Observe(inner, metrics, max_body_bytes, frozenset(page for page in pages if page))


class Observe:
    """Request id, URL-text and body-size guards, metrics and one log line per request; an
    error no layer inside answered becomes a problem with the request id, logged and counted.

    Plain ASGI: Starlette's `@app.middleware("http")` runs every request through an extra task
    and memory streams, which cost more CPU than a command's own work (ops/bench/DECISIONS.md).
    """

    def __init__(
        self,
        app: ASGIApp,
        metrics: Metrics,
        max_body_bytes: int,
        pages: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        self.pages = pages
        self.log = structlog.get_logger("ledger.http")
        self._series: dict[tuple[str, str, int, str], Series] = {}

    def _series_for(self, route: str, method: str, status: int, outcome: str) -> Series:
        """The metric series a request of this kind counts in, looked up once per kind."""
        commands = (
            self.metrics.commands.labels(route, outcome)
            if method == "POST" and route != "unmatched"
            else None
        )
        return (
            self.metrics.requests.labels(route, method, str(status)),
            self.metrics.latency.labels(route, method),
            commands,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        # A fresh id is 128 random bits, as uuid4's hex, but from the process's generator: uuid4
        # asks the kernel each time, and the event loop then waits for the GIL to come back.
        rid = (
            given
            if 0 < len(given) <= 100 and given.isprintable()
            else f"{random.getrandbits(128):032x}"
        )
        state = scope.setdefault("state", {})
        state["request_id"] = rid
        started = time.perf_counter()
        status, responded = 500, False

        async def send_with_id(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status, responded = message["status"], True
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self._guarded(scope, receive, send_with_id, headers.get(b"content-length"))
        except Exception as error:  # answered, logged and counted here, as no layer inside did
            self._record(scope, state, rid, 500, time.perf_counter() - started, error)
            if not responded:
                await internal_error(rid)(scope, receive, send_with_id)
            return
        self._record(scope, state, rid, status, time.perf_counter() - started)

    async def _guarded(
        self, scope: Scope, receive: Receive, send: Send, declared: bytes | None
    ) -> None:
        """The inner app, unless the URL holds text no store can keep or the body is too large."""
        refused = refused_in_url(scope)
        if refused is not None:
            await JSONResponse(refused, status_code=422, media_type=MEDIA_TYPE)(
                scope, receive, send
            )
        elif declared is None:  # sent in chunks: counted as it arrives
            await self.app(scope, self._counted(receive), send)
        elif not declared.isdigit():  # bytes: ASCII digits only, unlike str.isdigit()
            await problem(400, "invalid_content_length", "Content-Length must be a byte count")(
                scope, receive, send
            )
        # The length first: int() refuses a number of more than 4,300 digits with an error.
        elif len(declared) > 18 or int(declared) > self.max_body_bytes:
            too_large = problem(
                413, "body_too_large", f"The body exceeds {self.max_body_bytes} bytes"
            )
            await too_large(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    def _counted(self, receive: Receive) -> Receive:
        """`receive`, refusing a body once it has grown past the limit. Raised as an HTTP
        exception, so that FastAPI's body reading passes it on to the problem handlers."""
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body_bytes:
                raise HTTPException(413, f"The body exceeds {self.max_body_bytes} bytes")
            return message

        return counted

    def _record(
        self,
        scope: Scope,
        state: dict[str, Any],
        rid: str,
        status: int,
        seconds: float,
        error: Exception | None = None,
    ) -> None:
        route = getattr(scope.get("route"), "path", None) or (
            scope["path"] if scope["path"] in self.pages else "unmatched"
        )
        method = scope["method"]
        outcome = state.get("command_outcome", f"refused_{status}")
        kind = (route, method, status, outcome)
        series = self._series.get(kind) or self._series.setdefault(kind, self._series_for(*kind))
        requests, latency, commands = series
        requests.inc()
        latency.observe(seconds)
        if commands is not None:
            commands.inc()
        # Route templates only: ids in paths are random, but queries and bodies stay out of logs.
        line = {
            "request_id": rid,
            "method": method,
            "route": route,
            "status": status,
            "ms": round(seconds * 1000, 2),
            "subject": state.get("subject"),
        }
        if error is None:
            self.log.info("request", **line)
        else:
            self.log.error("request", **line, **failure(error))


def failure(error: BaseException) -> dict[str, Any]:
    """What an operator needs to find an unexpected error's cause: its type and where it was
    raised (files, lines, functions). Never its message, which may quote personal data."""
    frames = traceback.extract_tb(error.__traceback__)
    return {
        "error": f"{type(error).__module__}.{type(error).__qualname__}",
        "raised_at": [f"{_source(f.filename)}:{f.lineno} {f.name}" for f in frames[-6:]],
    }


def _source(filename: str) -> str:
    """A frame's file, relative to the project or to site-packages."""
    path = Path(filename)
    if path.is_relative_to(PROJECT):
        return str(path.relative_to(PROJECT))
    _, found, inside = filename.rpartition("site-packages/")
    return inside if found else path.name
