"""The API served by uvicorn on a loopback port, on each store, with tokens for every role."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from api.app import create_app
from api.auth import mint
from api.settings import Settings
from tests.conftest_stores import settings_for

OWN, OTHER = "OWN", "OTHER"


@dataclass
class Api:
    """A running API and a way to call it as anyone."""

    url: str
    settings: Settings
    app: Any
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.url, timeout=30)

    def token(self, role: str, programs: list[str] | None = None, sub: str | None = None) -> str:
        programs = programs if programs is not None else (["*"] if role == "admin" else [OWN])
        return mint(self.settings, sub or f"{role}-1", [role], programs)

    def as_(
        self, role: str | None, programs: list[str] | None = None, sub: str | None = None
    ) -> dict[str, str]:
        return (
            {} if role is None else {"Authorization": f"Bearer {self.token(role, programs, sub)}"}
        )

    def post(
        self, path: str, body: dict[str, Any], role: str | None = "caseworker", **headers: str
    ) -> httpx.Response:
        return self.http.post(path, json=body, headers={**self.as_(role), **headers})

    def get(self, path: str, role: str | None = "caseworker", **params: Any) -> httpx.Response:
        return self.http.get(path, params=params, headers=self.as_(role))

    @property
    def ledger(self) -> Any:
        return self.app.state.components.ledger

    def log_head(self) -> int:
        """The log's last position: unchanged by a refused command."""
        return int(self.ledger.recorder.max_notification_id() or 0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(store_url: str, folder: Path, **overrides: Any) -> Iterator[Api]:
    """Run the API under uvicorn on a free loopback port until the block ends."""
    settings = settings_for(
        store_url,
        folder,
        projections_in_process=True,
        projection_poll_interval=0.01,
        **overrides,
    )
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the API did not start"
    running = Api(f"http://127.0.0.1:{port}", settings, app)
    try:
        yield running
    finally:
        running.http.close()
        server.should_exit = True
        thread.join(20)


@pytest.fixture
def api(store_url: str, tmp_path: Path) -> Iterator[Api]:
    with serve(store_url, tmp_path) as running:
        yield running
