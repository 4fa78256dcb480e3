"""`ledger import FILE`: NDJSON commands (migration from a legacy system, a large offline sync).

Commands run through the same table as the HTTP API. Consecutive services of one episode are
applied to the episode in chunks, each chunk saved in one transaction. Every command and chunk
has an idempotency key made from the file's digest and its line number, so importing the same
file again (after a crash, say) writes nothing twice.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

from api.bodies import ServiceBody
from api.command_table import COMMANDS
from domain.application import CommandResult, Context, Decision
from domain.base import Actor
from domain.episode import Episode
from domain.ledger import Ledger

BY_NAME = {command.name: command for command in COMMANDS}
CHUNK = 1000


@dataclass(frozen=True)
class ImportReport:
    lines: int
    events: int
    seconds: float

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def _resolve(value: Any, names: dict[str, UUID]) -> Any:
    if isinstance(value, str) and value.startswith("$"):
        return str(names[value[1:]])
    if isinstance(value, dict):
        return {k: _resolve(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, names) for v in value]
    return value


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open() as handle:
        for number, text in enumerate(handle, start=1):
            if text.strip():
                yield number, json.loads(text)


def import_file(ledger: Ledger, path: Path, chunk: int = CHUNK) -> ImportReport:
    """Import every command of the file in order; stop at the first refused one, naming its line."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    actor = Actor("import", "admin", f"import-{digest}")
    names: dict[str, UUID] = {}
    head_before = ledger.recorder.max_notification_id() or 0
    started = time.perf_counter()
    services: list[tuple[int, ServiceBody]] = []
    episode: UUID | None = None
    count = 0

    def flush() -> None:
        if services and episode is not None:
            _services(
                ledger,
                Context(actor, idempotency_key=f"{digest}:{services[0][0]}"),
                episode,
                services,
            )
        services.clear()

    for number, record in _lines(path):
        count += 1
        params = {k: UUID(v) for k, v in _resolve(record.get("params", {}), names).items()}
        command = BY_NAME[record["command"]]
        body = command.body.model_validate(_resolve(record["body"], names))
        if command.name == "deliver_service":
            if params["episode_id"] != episode or len(services) >= chunk:
                flush()
                episode = params["episode_id"]
            services.append((number, body))  # type: ignore[arg-type]
            continue
        flush()
        try:
            result = command.run(
                ledger, Context(actor, idempotency_key=f"{digest}:{number}"), params, body
            )
        except Exception as error:
            raise ValueError(f"line {number} ({command.name}) was refused: {error}") from error
        if "as" in record:
            names[record["as"]] = result.id
    flush()
    seconds = time.perf_counter() - started
    events = (ledger.recorder.max_notification_id() or 0) - head_before
    return ImportReport(count, events, seconds)


def _services(
    ledger: Ledger, ctx: Context, episode_id: UUID, services: list[tuple[int, ServiceBody]]
) -> CommandResult:
    """A run of services of one episode, applied by the episode's own rules, saved at once."""
    first = services[0][0]

    def decide(today: date) -> Decision:
        episode = ledger.load(Episode, episode_id)
        for _, body in services:
            episode.deliver_service(
                body.kind, body.quantity, body.settlement, body.occurred_on, ctx.actor, today
            )
        return Decision(episode_id, episode.version, (episode,))

    try:
        return ledger.execute(ctx, "import_services", {"lines": [n for n, _ in services]}, decide)
    except Exception as error:
        raise ValueError(f"services from line {first} were refused: {error}") from error
