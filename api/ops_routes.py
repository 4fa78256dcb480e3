"""Health, readiness and metrics for operators."""

from __future__ import annotations

import os
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import components
from projections.runner import statuses


def router() -> APIRouter:
    ops = APIRouter(tags=["operations"])

    @ops.get("/health", operation_id="health")
    def health() -> dict[str, Any]:
        """The process is up; which one answered (with `--workers`, each takes its share of
        the connections)."""
        return {"status": "ok", "process": os.getpid()}

    @ops.get("/ready", operation_id="ready", responses={503: {"description": "Not ready"}})
    def ready(request: Request) -> JSONResponse:
        """The event store answers and every read model is within the allowed lag."""
        state = components(request)
        try:
            lagging = statuses(state.ledger, list(state.models.values()))
        except Exception as error:
            return JSONResponse({"ready": False, "store": type(error).__name__}, status_code=503)
        limit = state.settings.ready_max_lag
        body: dict[str, Any] = {
            "ready": all(s.lag <= limit for s in lagging),
            "read_models": {s.name: {"position": s.position, "lag": s.lag} for s in lagging},
        }
        return JSONResponse(body, status_code=200 if body["ready"] else 503)

    @ops.get(
        "/metrics",
        operation_id="metrics",
        response_class=Response,
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    )
    def metrics(request: Request) -> Response:
        """Prometheus text format: requests, latencies, commands, commit groups, read-model lag."""
        state = components(request)
        for status in statuses(state.ledger, list(state.models.values())):
            state.metrics.position.labels(status.name).set(status.position)
            state.metrics.lag.labels(status.name).set(status.lag)
            state.metrics.head.set(status.head)
        state.metrics.commit_queue.set(state.ledger.committer.depth)
        return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return ops
