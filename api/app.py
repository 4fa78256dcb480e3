"""The FastAPI application: one set of components per process, built in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from api import (
    audit_routes,
    batch,
    bootstrap,
    caseload_routes,
    claim_routes,
    command_routes,
    docs_routes,
    episode_routes,
    facility_routes,
    indigo_routes,
    observability,
    occupancy_routes,
    ops_routes,
    outcome_routes,
    participant_routes,
    person_search_routes,
    problems,
    program_routes,
    report_routes,
)
from api.auth import Authenticator
from api.metrics import Metrics
from api.settings import Settings


class LedgerApp(FastAPI):
    """FastAPI, with every request observed and every command served ahead of its own layers.

    FastAPI wraps each request in five layers of its own (errors, telemetry, a body limit,
    exceptions, exit stacks); a command, which needs none of them, went through all five, and
    every message it sent through each. Here HTTP requests meet `Observe` first (request ids,
    the body-size guard, metrics, the request log), then the command dispatch, and only
    requests that are not commands go on into FastAPI.
    """

    def __init__(self, *, front: Callable[[LedgerApp], ASGIApp], **kwargs: Any) -> None:
        """`front(app)` makes the layers requests meet before FastAPI's own (`framework`)."""
        super().__init__(**kwargs)
        self.front = front(self)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope["app"] = self
            await self.front(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)

    async def framework(self, scope: Scope, receive: Receive, send: Send) -> None:
        """FastAPI's own handling of a request, layers and routing."""
        await super().__call__(scope, receive, send)


# What the URL-text guard (api/observability.py) lets through: no NUL, UTF-8 (which cannot hold a
# lone surrogate). JSON Schema's patterns see characters, so NUL is the rule they can state.
URL_TEXT = r"^[^\u0000]*$"


def document_url_text(app: FastAPI) -> None:
    """State the URL-text rule on every free-text path and query parameter of /openapi.json
    (those with a format, an enum or a pattern of their own already exclude NUL)."""
    document = app.openapi

    def with_url_text() -> dict[str, Any]:
        if app.openapi_schema is None:
            for operations in document()["paths"].values():
                for operation in operations.values():
                    for parameter in operation.get("parameters", []):
                        if parameter["in"] in ("path", "query"):
                            _state_text_rule(parameter["schema"])
        return app.openapi_schema or {}

    app.openapi = with_url_text  # type: ignore[method-assign]


def _state_text_rule(schema: dict[str, Any]) -> None:
    for branch in schema.get("anyOf", [schema]):
        if branch.get("type") == "string" and not {"format", "enum", "pattern"} & set(branch):
            branch["pattern"] = URL_TEXT


def _best_match(app: FastAPI, scope: Scope) -> Match:
    """How the application's own routes match a request: fully, by path alone, or not."""
    matches = {route.matches(scope)[0] for route in app.router.routes}
    return next((m for m in (Match.FULL, Match.PARTIAL) if m in matches), Match.NONE)


def create_app(settings: Settings | None = None) -> LedgerApp:
    """Build the HTTP application for the given settings (from the environment by default)."""
    settings = settings or Settings()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        components = bootstrap.serving(settings, metrics)
        app.state.components = components
        try:
            yield
        finally:
            components.close()

    observability.configure_logging()

    def front(app: LedgerApp) -> ASGIApp:
        # Commands are refused through the app's exception handlers, installed just below.
        commands = command_routes.CommandRoutes(
            batch.BatchTurns(app.framework),
            app.exception_handlers,
            reads=lambda scope: _best_match(app, scope),
        )
        return observability.observed(app, commands, metrics, settings.max_body_bytes)

    app = LedgerApp(
        front=front,
        title="Service-episode ledger",
        version="0.1.0",
        description="Commands in, queries out: the system of record of social-service episodes.",
        lifespan=lifespan,
        # Starlette's redirect to the path with(out) a trailing slash builds its absolute
        # Location from the request's Host header, which a client can forge: none is made.
        redirect_slashes=False,
        # Served by api/docs_routes.py with their assets, not from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.authenticator = Authenticator(settings)
    problems.install(app)
    command_routes.document(app)
    document_url_text(app)
    docs_routes.install(app)
    # The routes go straight onto the app's router: an included router was matched twice per
    # request, each time trying every route before the match.
    routers = (
        batch,
        person_search_routes,  # before participant_routes: /candidates is no participant's id
        program_routes,
        outcome_routes,
        indigo_routes,
        claim_routes,
        facility_routes,
        participant_routes,
        episode_routes,
        caseload_routes,
        occupancy_routes,
        report_routes,
        audit_routes,
        ops_routes,
    )
    for module in routers:
        app.router.routes.extend(module.router().routes)
    return app
