"""The FastAPI application: one Ledger per process, built in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import wiring
from api.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the HTTP application for the given settings (from the environment by default)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        components = wiring.build(settings)
        app.state.components = components
        try:
            yield
        finally:
            components.close()

    app = FastAPI(title="Service-episode ledger", version="0.1.0", lifespan=lifespan)

    @app.get("/health")
    def health() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    return app
