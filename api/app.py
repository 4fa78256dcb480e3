"""The FastAPI application: one set of components per process, built in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import (
    audit_routes,
    command_routes,
    observability,
    ops_routes,
    problems,
    record_routes,
    report_routes,
    wiring,
)
from api.auth import Authenticator
from api.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the HTTP application for the given settings (from the environment by default)."""
    settings = settings or Settings()
    metrics = observability.Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        components = wiring.build(settings)
        components.metrics = metrics
        components.ledger.committer.observe = metrics.observe_commit
        app.state.components = components
        try:
            yield
        finally:
            components.close()

    observability.configure_logging()
    app = FastAPI(
        title="Service-episode ledger",
        version="0.1.0",
        description="Commands in, queries out: the system of record of social-service episodes.",
        lifespan=lifespan,
    )
    app.state.authenticator = Authenticator(settings)
    problems.install(app)
    command_routes.install(app)
    observability.install(app, metrics, settings.max_body_bytes)
    # The routes go straight onto the app's router, commands first (the busiest). An included
    # router was matched twice per request, each time trying every route before the match: in
    # a profile, route matching took a third of the event loop's CPU for one command.
    for module in (command_routes, record_routes, report_routes, audit_routes, ops_routes):
        app.router.routes.extend(module.router().routes)
    return app
