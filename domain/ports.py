"""What the Ledger needs from its store, declared here and implemented in store/.

The library's application builds its recorder, mapper and repository while it is constructed:
the store gives those (the recorder of the configured database, the mapper sealing personal
facts, the repository pausing on the event loop), then the write path of the commands over what
the library built (`Storage.writes`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.application import Application, Repository
from eventsourcing.persistence import ApplicationRecorder, InfrastructureFactory, Mapper, Recording

from domain.base import LedgerAggregate
from domain.commands import CommandResult, Context, Decision
from domain.sealing import KeyRing

# A command's decision, made on the day it is given; made again after a lost race.
Decide = Callable[[date], Decision]


class Writes(Protocol):
    """How commands reach the store: replays, reads, saves, and races lost and decided again."""

    # How long a command that keeps losing races is decided again before it is refused.
    retry_seconds: float

    def run(self, ctx: Context, digest: str, decide: Decide) -> CommandResult:
        """The first answer if the context's key was seen (`digest` tells its command); else the
        decision saved at once, decided again on the store's state after a lost race."""
        ...

    def get(
        self, aggregate_id: UUID, *, saved_again: bool, fits: Callable[[object], bool]
    ) -> object:
        """The aggregate as recorded (AggregateNotFoundError if none); when `saved_again`, the
        one this process saved last will do if it `fits`."""
        ...

    def peek(self, aggregate_id: UUID) -> object | None:
        """The aggregate as this process saved it last, only to read what never changes."""
        ...

    def save(self, aggregates: Sequence[LedgerAggregate]) -> list[Recording[UUID]]:
        """Save the aggregates atomically; the caller may go on changing them."""
        ...

    def close(self) -> None: ...


class Storage(Protocol):
    """The pieces of the Ledger's store, given to the library's application as it is built."""

    @property
    def keyring(self) -> KeyRing: ...

    def recorder(self, factory: InfrastructureFactory[Any]) -> ApplicationRecorder: ...

    def mapper(self) -> Mapper[UUID]: ...

    def repository(self, library: Repository[UUID]) -> Repository[UUID]: ...

    def writes(self, ledger: Application[UUID], clock: Callable[[], date]) -> Writes: ...


class Shredding(Protocol):
    """Makes a recorded erasure final: the person's key destroyed, and whatever else must know
    (the erasure list a restored copy is erased again from: store/erasure_list.py)."""

    def shred(self, ctx: Context, participant_id: UUID) -> None: ...
