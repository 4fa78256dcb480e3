"""`ledger import FILE`: NDJSON commands (migration from a legacy system, a large offline sync).

Commands run through the same table as the HTTP API. Consecutive services of one episode are
applied to the episode in chunks, each chunk saved in one transaction. Every command and chunk
has an idempotency key made from the source (the file's path, or `--source`), its text and how
many times that text came before in the file. So importing the file again (after a crash, or
after fixing the line that was refused) writes nothing twice: only lines that were not written,
or whose text changed, run again.

Commands run on several threads, like the API's concurrent requests, so the group committer
writes many in one transaction. Order is kept where it matters: a command runs after every
earlier line naming the same thing (a `$name` or an id in its params or body), and the lines of
one episode stay on one thread, in file order.
"""

from __future__ import annotations

import hashlib
import itertools
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
from pydantic import TypeAdapter, ValidationError

from api.bodies import ServiceBody
from api.command_table import COMMANDS
from domain.base import Actor
from domain.catalogue import is_built_in
from domain.commands import CommandResult, Context, Decision
from domain.episode import Episode
from domain.ledger import Ledger
from domain.program import Program

BY_NAME = {command.name: command for command in COMMANDS}
SERVICES = TypeAdapter(list[ServiceBody])  # a chunk's bodies validated in one call
CHUNK = 1000
WORKERS = 8
# Units waiting for each thread: bounds memory, since the file is read ahead of the writes.
QUEUED = 16
PRUNE = 64
# Commands on facilities: a bed is taken or freed by lines that need not name each other. And a
# program's own service kind: the lines that deliver it name their episode, not the program.
BARRIERS = frozenset(
    {"register_facility", "change_capacity", "start_placement", "end_placement", "add_service"}
)


@dataclass(frozen=True)
class ImportReport:
    lines: int
    events: int
    seconds: float

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


@dataclass
class Unit:
    """One command line, or a run of services of one episode: what one thread runs at once."""

    number: int  # its first line
    record: dict[str, Any]
    services: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    after: list[threading.Event] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    at: int = 0  # the line being run: a chunk's services are decided one by one
    key: str = ""  # its text's digest, and how many units of that text came before


def _resolve(value: Any, names: dict[str, UUID]) -> Any:
    kind = type(value)
    if kind is str:
        return str(names[value[1:]]) if value.startswith("$") else value
    if kind is dict:
        return {k: _resolve(v, names) for k, v in value.items()}
    if kind is list:
        return [_resolve(v, names) for v in value]
    return value


def _mentions(value: Any) -> set[str]:
    """The names (`$name`) and ids that params or a body refer to."""
    if type(value) is str:
        return {value.removeprefix("$")} if value.startswith("$") or len(value) == 36 else set()
    items = value.values() if type(value) is dict else value if type(value) is list else ()
    return set().union(*(_mentions(item) for item in items))


class ImportFileError(ValueError):
    """A line of an import file that cannot be imported: `ledger import` prints it, one line
    naming the file and line, and exits 1."""


def _units(path: Path, chunk: int) -> Iterator[Unit]:
    """The file's units, each with the key of its text (see the module's docstring)."""
    seen: dict[str, int] = {}
    for unit, lines in _gathered(path, chunk):
        digest = hashlib.blake2b(b"\n".join(lines), digest_size=16).hexdigest()
        before = seen.get(digest, 0)
        unit.key = f"{digest}:{before}"
        seen[digest] = before + 1
        yield unit


def _check_line(path: Path, number: int, record: Any) -> None:
    """A line is an object naming a known command, with its params and body as objects."""
    if type(record) is not dict:
        raise ImportFileError(f"{path}:{number}: a line is one JSON object")
    if record.get("command") not in BY_NAME and record.get("command") != "deliver_service":
        raise ImportFileError(f"{path}:{number}: names no command the ledger knows")
    for part in ("params", "body"):
        if type(record.get(part, {})) is not dict:
            raise ImportFileError(f"{path}:{number}: {part} is a JSON object")
    if record["command"] == "deliver_service" and "episode_id" not in record.get("params", {}):
        raise ImportFileError(f"{path}:{number}: deliver_service names its params.episode_id")


def _gathered(path: Path, chunk: int) -> Iterator[tuple[Unit, list[bytes]]]:
    """The file's lines, with consecutive services of one episode gathered into chunks."""
    pending: Unit | None = None
    pending_texts: list[bytes] = []
    with path.open() as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                record = orjson.loads(text)
            except orjson.JSONDecodeError as error:
                raise ImportFileError(f"{path}:{number}: not JSON ({error})") from error
            _check_line(path, number, record)
            if record["command"] == "deliver_service":
                episode = record["params"]["episode_id"]
                if (
                    pending is not None
                    and pending.record["params"]["episode_id"] == episode
                    and len(pending.services) < chunk
                ):
                    pending.services.append((number, record["body"]))
                    pending_texts.append(text.strip().encode())
                    continue
                if pending is not None:
                    yield pending, pending_texts
                pending = Unit(number, record, [(number, record["body"])])
                pending_texts = [text.strip().encode()]
                continue
            if pending is not None:
                yield pending, pending_texts
                pending = None
            yield Unit(number, record), [text.strip().encode()]
    if pending is not None:
        yield pending, pending_texts


@dataclass(frozen=True)
class Touch:
    """That a unit wrote or read a name: its line, its thread, and when it is done."""

    number: int
    worker: int
    done: threading.Event


class _Importer:
    """Routes units to threads and runs them; remembers the first refusal.

    A unit waits for the last unit that wrote what it mentions (the aggregate in its params, a
    name it defines: writes; ids in its body: reads), and a write also for the reads since.
    Commands on facilities wait for everything before them, and everything after waits for
    them: a bed freed by one episode's line may be the bed a later line takes, and neither line
    names the other.
    """

    def __init__(self, ledger: Ledger, source: str, digest: str, workers: int) -> None:
        self.ledger = ledger
        self.source = hashlib.blake2b(source.encode(), digest_size=8).hexdigest()
        self.actor = Actor("import", "admin", f"import-{digest}")
        self.names: dict[str, UUID] = {}
        self.written: dict[str, Touch] = {}
        self.read: dict[str, list[Touch]] = {}
        self.since_barrier: list[Touch] = []
        self.barrier: Touch | None = None
        self.queues = [queue.Queue[Unit | None](QUEUED) for _ in range(workers)]
        self.next_free = itertools.cycle(range(workers))
        self.refused: list[tuple[int, str, Exception]] = []
        self.stop = threading.Event()

    def dispatch(self, unit: Unit) -> None:
        """Queue the unit on the thread of what it follows, after what it must follow."""
        record = unit.record
        writes = _mentions(record.get("params", {})) | ({record["as"]} if "as" in record else set())
        reads = _mentions(record["body"]) - writes
        if record["command"] in BARRIERS:
            after = [t for t in self.since_barrier if not t.done.is_set()]
        else:
            after = [self.written[m] for m in writes | reads if m in self.written]
            after += [t for m in writes for t in self.read.get(m, ())]
        worker = max(after, key=lambda t: t.number).worker if after else next(self.next_free)
        if self.barrier is not None:
            after.append(self.barrier)
        touch = Touch(unit.number, worker, unit.done)
        unit.after = [t.done for t in after]
        if record["command"] in BARRIERS:
            self.barrier, self.since_barrier = touch, []
        else:
            self.since_barrier = [t for t in self.since_barrier if not t.done.is_set()]
            self.since_barrier.append(touch)
        for name in writes:
            self.written[name] = touch
            self.read[name] = []
        for name in reads:
            readers = self.read.setdefault(name, [])
            if len(readers) >= PRUNE:  # a name many lines read (the program): forget the done
                readers[:] = [t for t in readers if not t.done.is_set()]
            readers.append(touch)
        self.queues[worker].put(unit)

    def work(self, worker: int) -> None:
        while (unit := self.queues[worker].get()) is not None:
            try:
                for event in unit.after:
                    event.wait()
                if not self.stop.is_set():
                    self._run(unit)
            except Exception as error:
                self.refused.append((unit.at or unit.number, unit.record["command"], error))
                self.stop.set()
            finally:
                unit.done.set()

    def _run(self, unit: Unit) -> None:
        record = unit.record
        params = {k: UUID(v) for k, v in _resolve(record.get("params", {}), self.names).items()}
        context = Context(self.actor, idempotency_key=f"{self.source}:{unit.key}")
        if unit.services:
            numbers = [number for number, _ in unit.services]
            try:
                bodies = SERVICES.validate_python([body for _, body in unit.services])
            except ValidationError as error:
                unit.at = numbers[int(error.errors()[0]["loc"][0])]
                raise
            services = list(zip(numbers, bodies, strict=True))
            _services(self.ledger, context, params["episode_id"], services, unit)
            return
        command = BY_NAME[record["command"]]
        body = command.body.model_validate(_resolve(record["body"], self.names))
        result = command.run(self.ledger, context, params, body)
        if "as" in record:
            self.names[record["as"]] = result.id


def _said(error: Exception) -> str:
    """Why a line was refused, in one line."""
    if isinstance(error, ValidationError):
        return "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in error.errors()
        )
    return " ".join(str(error).split())


def import_file(
    ledger: Ledger,
    path: Path,
    chunk: int = CHUNK,
    workers: int = WORKERS,
    source: str | None = None,
) -> ImportReport:
    """Import every command of the file; stop at the first refused one, naming its line.

    Lines that do not depend on the refused one may have been written meanwhile; importing the
    file again, fixed or not, writes nothing twice. `source` names where the lines come from
    (by default the file's absolute path): give the same one when the file has moved.
    """
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    importer = _Importer(ledger, source or str(path.resolve()), digest, workers)
    head_before = ledger.recorder.max_notification_id() or 0
    started = time.perf_counter()
    threads = [
        threading.Thread(target=importer.work, args=(n,), name=f"import-{n}")
        for n in range(workers)
    ]
    for thread in threads:
        thread.start()
    lines = 0
    try:
        for unit in _units(path, chunk):
            if importer.stop.is_set():
                break
            lines += max(len(unit.services), 1)
            importer.dispatch(unit)
    finally:
        for waiting in importer.queues:
            waiting.put(None)
        for thread in threads:
            thread.join()
    if importer.refused:
        number, name, error = min(importer.refused, key=lambda refusal: refusal[0])
        raise ImportFileError(f"{path}:{number}: {name} was refused: {_said(error)}") from error
    seconds = time.perf_counter() - started
    events = (ledger.recorder.max_notification_id() or 0) - head_before
    return ImportReport(lines, events, seconds)


def _services(
    ledger: Ledger,
    ctx: Context,
    episode_id: UUID,
    services: list[tuple[int, ServiceBody]],
    unit: Unit,
) -> CommandResult:
    """A run of services of one episode, applied by the episode's own rules, saved at once."""

    def decide(today: date) -> Decision:
        episode = ledger.load(Episode, episode_id, saved_again=True)
        # Read only when a kind is not built-in: its program's catalogue must offer it.
        program = None
        if not all(is_built_in(body.kind) for _, body in services):
            program = ledger.load(Program, episode.program_id)
        for unit.at, body in services:
            episode.deliver_service(
                body.kind,
                body.quantity,
                body.settlement,
                body.occurred_on or today,
                ctx.actor,
                today,
                program,
            )
        return Decision(episode_id, episode.version, (episode,))

    return ledger.execute(ctx, "import_services", {"lines": [n for n, _ in services]}, decide)
