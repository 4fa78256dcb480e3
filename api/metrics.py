"""The process's Prometheus metrics: requests, commands, commit groups, read models' lag."""

from __future__ import annotations

from typing import Any

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
)


class Metrics:
    """The process's Prometheus metrics, in a registry of its own (one per app)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        # The process's CPU, memory and open files, Python's version and garbage collection.
        for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            self.registry.register(collector)
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
            "Log positions a read model (or the seal) is behind",
            ["read_model"],
            registry=self.registry,
        )
        self.lag_seconds = Gauge(
            "ledger_read_model_lag_seconds",
            "How long ago the oldest event a read model (or the seal) lacks was recorded",
            ["read_model"],
            registry=self.registry,
        )
        self.heartbeat_age = Gauge(
            "ledger_read_model_heartbeat_age_seconds",
            "Seconds since the follower of a read model (or the seal) last reported",
            ["read_model"],
            registry=self.registry,
        )
        self.ready = Gauge("ledger_ready", "1 when /ready answers 200", registry=self.registry)
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

    def readiness(self, body: dict[str, Any]) -> None:
        """Set the readiness gauges from `/ready`'s body (read models and the seal, labelled
        read_model="seal"); a model never reported has no heartbeat series."""
        self.ready.set(1 if body["ready"] else 0)
        models = {
            **body.get("read_models", {}),
            **({"seal": body["seal"]} if "seal" in body else {}),
        }
        if "head" in body:
            self.head.set(body["head"])
        for name, model in models.items():
            self.position.labels(name).set(model["position"])
            self.lag.labels(name).set(model["lag"])
            self.lag_seconds.labels(name).set(model["lag_seconds"])
            if model["heartbeat_seconds_ago"] is not None:
                self.heartbeat_age.labels(name).set(model["heartbeat_seconds_ago"])

    def observe_commit(self, commands: int, seconds: float) -> None:
        self.commit_group.observe(commands)
        self.commit_latency.observe(seconds)
