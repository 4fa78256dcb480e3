"""What the Ledger needs from its store, declared here and implemented in store/.

The library's application builds its recorder, mapper and repository while it is constructed:
the store gives those (the recorder of the configured database, the mapper sealing personal
facts, the repository pausing on the event loop), then the write path of the commands over what
the library built (`Storage.writes`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
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

    def get_many(self, aggregate_ids: Sequence[UUID]) -> dict[UUID, object]:
        """Aggregates with short streams as recorded, read together; ids of none left out."""
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

    def person_index(self) -> PersonIndex:
        """The blind index of people, for a Ledger given none of its own."""
        ...


class Shredding(Protocol):
    """Makes a recorded erasure final: the person's key destroyed, and whatever else must know
    (the erasure list a restored copy is erased again from: store/erasure_list.py)."""

    def shred(self, ctx: Context, participant_id: UUID) -> None: ...


@dataclass(frozen=True)
class SnilsClaim:
    """Who holds a SNILS (the participant registered, or being registered, with it), since when."""

    holder: UUID
    age_seconds: float


@dataclass(frozen=True)
class PersonFound:
    """A search's hit: the participant, what of their data matched, and how well."""

    participant_id: UUID
    score: int
    matched: tuple[str, ...]


class PersonIndex(Protocol):
    """The blind index of people: keyed tokens of their personal data, and SNILS claims.

    Written by the commands that record, correct and erase personal data, before their events
    are saved: an entry may name a participant never saved (a command that failed or crashed),
    never the other way round. Whoever reads it drops ids that are not (or no longer) people.
    """

    def claim_snils(self, snils: str, participant_id: UUID) -> SnilsClaim:
        """Claim the SNILS for the participant unless held: the claim as it now stands."""
        ...

    def take_over_snils(self, snils: str, holder: UUID, participant_id: UUID) -> bool:
        """Move the claim from `holder` (a registration that never saved) to the participant."""
        ...

    def release_snils(self, snils: str, participant_id: UUID) -> None:
        """Give the SNILS up if the participant holds it."""
        ...

    def put(self, participant_id: UUID, fields: Mapping[str, Any]) -> None:
        """Index the participant under their personal data, replacing what they were under."""
        ...

    def forget(self, participant_ids: Sequence[UUID]) -> None:
        """Remove the participants' tokens and claims (their erasure)."""
        ...

    def search(self, text: str, limit: int) -> list[PersonFound]:
        """The participants best matching a search text, most matching parts first."""
        ...

    def lookalikes(self, after: int, limit: int) -> list[list[UUID]]:
        """Groups of participants sharing a name and birth date, `limit` groups after `after`."""
        ...
