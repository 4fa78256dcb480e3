"""One JSON log line per request with its request id, and Prometheus metrics; no personal data."""

from __future__ import annotations

import logging
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from fastapi import FastAPI, Request, Response
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from api.problems import problem

REQUEST_ID = "X-Request-ID"


def configure_logging() -> None:
    """JSON lines in production, readable lines on a terminal."""
    renderer: Any = (
        structlog.dev.ConsoleRenderer()
        if sys.stderr.isatty()
        else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )


class Metrics:
    """The process's Prometheus metrics, in a registry of its own (one per app)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "ledger_http_requests_total",
            "HTTP requests",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "ledger_http_request_seconds",
            "HTTP request latency",
            ["route", "method"],
            registry=self.registry,
        )
        self.commands = Counter(
            "ledger_commands_total",
            "Commands by outcome",
            ["command", "outcome"],
            registry=self.registry,
        )
        self.position = Gauge(
            "ledger_read_model_position",
            "Log position a read model reached",
            ["read_model"],
            registry=self.registry,
        )
        self.lag = Gauge(
            "ledger_read_model_lag",
            "Log positions a read model is behind",
            ["read_model"],
            registry=self.registry,
        )
        self.head = Gauge("ledger_log_head", "Last log position", registry=self.registry)
        self.commit_group = Histogram(
            "ledger_commit_group_commands",
            "Commands written per event-store transaction (group commit)",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
            registry=self.registry,
        )
        self.commit_latency = Histogram(
            "ledger_commit_seconds",
            "Time to write one group of commands to the event store",
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1, 5),
            registry=self.registry,
        )
        self.commit_queue = Gauge(
            "ledger_commit_queue_depth",
            "Commands waiting for the event-store write in progress",
            registry=self.registry,
        )

    def observe_commit(self, commands: int, seconds: float) -> None:
        self.commit_group.observe(commands)
        self.commit_latency.observe(seconds)


def install(app: FastAPI, metrics: Metrics, max_body_bytes: int) -> None:
    log = structlog.get_logger("ledger.http")

    @app.middleware("http")
    async def observe(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        given = request.headers.get(REQUEST_ID, "")
        rid = given if 0 < len(given) <= 100 and given.isprintable() else uuid.uuid4().hex
        request.state.request_id = rid
        started = time.perf_counter()
        declared = request.headers.get("content-length", "0")
        if not declared.isdigit() or int(declared) > max_body_bytes:
            response: Response = problem(
                413, "body_too_large", f"The body exceeds {max_body_bytes} bytes"
            )
        else:
            response = await call_next(request)
        route = getattr(request.scope.get("route"), "path", "unmatched")
        seconds = time.perf_counter() - started
        metrics.requests.labels(route, request.method, str(response.status_code)).inc()
        metrics.latency.labels(route, request.method).observe(seconds)
        if request.method == "POST" and route != "unmatched":
            outcome = getattr(request.state, "command_outcome", f"refused_{response.status_code}")
            metrics.commands.labels(route, outcome).inc()
        response.headers[REQUEST_ID] = rid
        # Route templates only: ids in paths are random, but queries and bodies stay out of logs.
        log.info(
            "request",
            request_id=rid,
            method=request.method,
            route=route,
            status=response.status_code,
            ms=round(seconds * 1000, 2),
            subject=getattr(request.state, "subject", None),
        )
        return response
