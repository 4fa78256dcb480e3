"""Health, readiness and metrics for operators: answered on the event loop, from memory.

None of them waits for the thread pool or for a store connection: under load both are taken
(see api/readiness.py for where readiness comes from).
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.audit_answers import HealthAnswer, ReadyAnswer
from api.deps import components
from api.readiness import Limits, readiness


def _limits(request: Request) -> Limits:
    settings = components(request).settings
    return Limits(settings.ready_max_lag, settings.ready_max_lag_seconds)


def router() -> APIRouter:
    ops = APIRouter(tags=["operations"])

    @ops.get(
        "/health",
        operation_id="health",
        response_model=HealthAnswer,
        response_model_exclude_unset=True,
    )
    async def health() -> dict[str, Any]:
        """The process is up; which one answered (with `--workers`, each takes its share of
        the connections)."""
        return {"status": "ok", "process": os.getpid()}

    @ops.get(
        "/ready",
        operation_id="ready",
        response_model=ReadyAnswer,
        responses={503: {"description": "Not ready (why, as when ready)", "model": ReadyAnswer}},
    )
    async def ready(request: Request) -> JSONResponse:
        """The store answers, and every read model and the seal is followed (its follower
        reported lately) and behind the log head by no more than the allowed time and
        positions; otherwise 503 with the reason for each."""
        body = readiness(components(request).readiness, _limits(request))
        return JSONResponse(body, status_code=200 if body["ready"] else 503)

    @ops.get(
        "/metrics",
        operation_id="metrics",
        response_class=Response,
        responses={
            200: {
                "content": {
                    "text/plain": {
                        "schema": {"type": "string"},
                        "example": "# TYPE ledger_commands_total counter\n"
                        "ledger_commands_total 7\n",
                    }
                }
            }
        },
    )
    async def metrics(request: Request) -> Response:
        """Prometheus text format: requests, latencies, commands, commit groups, and each read
        model's and the seal's lag (positions and seconds) and heartbeat."""
        state = components(request)
        state.metrics.readiness(readiness(state.readiness, _limits(request)))
        state.metrics.commit_queue.set(state.committer.depth)
        return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return ops
