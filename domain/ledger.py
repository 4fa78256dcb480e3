"""The Ledger application: one method per command; each loads, calls one aggregate method, saves.

The commands are plain functions, grouped by the aggregate they change in modules of their own
(program_commands.py, facility_commands.py, participant_commands.py, episode_commands.py,
track_commands.py, claim_commands.py); the class body lists them, so
`ledger.deliver_service(...)` is a method. How a command meets the store (group commit, recently
saved aggregates, races lost and decided again, pauses on the event loop) is store/'s, behind
the seams of domain/ports.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from itertools import takewhile
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, Repository
from eventsourcing.persistence import ApplicationRecorder, Mapper, Recording

from domain import (
    claim_commands,
    episode_commands,
    facility_commands,
    participant_commands,
    program_commands,
    track_commands,
)
from domain.base import LedgerAggregate, NotFoundError
from domain.commands import CommandResult, Context, Decision, StaleVersionError, utc_today
from domain.episode import Episode
from domain.facility import Facility
from domain.idempotency import DEVELOPMENT_FINGERPRINT_KEY, fingerprint
from domain.personal_data import personal_data_id_for
from domain.ports import Decide, PersonIndex, Shredding, Storage
from domain.sealing import KeyRing

A = TypeVar("A", bound=LedgerAggregate)


class Ledger(Application[UUID]):
    """The system of record of programs, facilities, participants and their service episodes."""

    name = "Ledger"
    # An episode's snapshot holds a version for every service in it, so it grows as the episode
    # does: a rural episode gets one or two a year (see ops/bench/DECISIONS.md).
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Episode: 250, Facility: 100}

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        storage: Storage,
        clock: Callable[[], date] = utc_today,
        fingerprint_key: bytes = DEVELOPMENT_FINGERPRINT_KEY,
        shredding: Shredding | None = None,
        person_index: PersonIndex | None = None,
    ) -> None:
        # The library builds the mapper and the repository in its __init__, from the storage.
        self.storage = storage
        self.keyring: KeyRing = storage.keyring
        self.clock = clock
        self.fingerprint_key = fingerprint_key
        self.shredding: Shredding = shredding or KeyShredding(self.keyring)
        self.person_index: PersonIndex = person_index or storage.person_index()
        super().__init__(env)
        self.writes = storage.writes(self, clock)

    def construct_recorder(self) -> ApplicationRecorder:
        return self.storage.recorder(self.factory)

    def construct_mapper(self) -> Mapper[UUID]:
        return self.storage.mapper()

    def construct_repository(self) -> Repository[UUID]:
        return self.storage.repository(super().construct_repository())

    def close(self) -> None:
        """Write the commands already waiting, refuse new ones, then close the store."""
        self.writes.close()
        super().close()

    # The commands, by the aggregate they change.

    define_program = program_commands.define_program
    revise_targets = program_commands.revise_targets
    add_service = program_commands.add_service
    define_cohort = program_commands.define_cohort
    define_outcome = program_commands.define_outcome

    submit_claim = claim_commands.submit_claim
    judge_claim_line = claim_commands.judge_claim_line
    decide_claim = claim_commands.decide_claim

    register_facility = facility_commands.register_facility
    change_capacity = facility_commands.change_capacity

    register_participant = participant_commands.register_participant
    correct_personal_data = participant_commands.correct_personal_data
    erase_participant = participant_commands.erase_participant
    record_consent = participant_commands.record_consent
    withdraw_consent = participant_commands.withdraw_consent
    withdraw_institutional_application = participant_commands.withdraw_institutional_application
    record_institutional_admission = participant_commands.record_institutional_admission
    link_participants = participant_commands.link_participants
    unlink_participants = participant_commands.unlink_participants
    void_participant_entry = participant_commands.void_participant_entry

    open_episode = episode_commands.open_episode
    assign_caseworker = episode_commands.assign_caseworker
    record_assessment = episode_commands.record_assessment
    agree_plan = episode_commands.agree_plan
    deliver_service = episode_commands.deliver_service
    assign_mentor = episode_commands.assign_mentor
    void_entry = episode_commands.void_entry
    close_episode = episode_commands.close_episode

    make_referral = track_commands.make_referral
    answer_referral = track_commands.answer_referral
    start_placement = track_commands.start_placement
    end_placement = track_commands.end_placement
    request_course = track_commands.request_course
    advance_course = track_commands.advance_course
    start_job = track_commands.start_job
    end_job = track_commands.end_job

    # What every command is made of.

    def execute(
        self,
        ctx: Context,
        command: str,
        arguments: Mapping[str, Any],
        decide: Decide,
        written_to: UUID | None = None,
    ) -> CommandResult:
        """Run one command: replay it if its key was seen, else decide and save all at once.

        `arguments` name the command's values as its HTTP body fields and path ids do: they make
        its idempotency fingerprint. Ids the command generates are given as None, and so are
        those the sender left out (`ctx.defaulted`). `written_to` is the record whose version
        the decision answers, when it is not the id answered (a track's episode): known before
        deciding, so a replay names it too.
        """
        digest = ""
        if ctx.idempotency_key is not None:
            sent = {k: (None if k in ctx.defaulted else v) for k, v in arguments.items()}
            digest = fingerprint(command, sent, self.fingerprint_key)
        return self.writes.run(ctx, digest, decide).written_to(written_to)

    def change(
        self,
        ctx: Context,
        cls: type[A],
        aggregate_id: UUID,
        command: str,
        arguments: Mapping[str, Any],
        act: Callable[[A, date], object],
        result_id: UUID | None = None,
    ) -> CommandResult:
        """Load one aggregate (at the expected version, if given), apply one command, save it."""

        def decide(today: date) -> Decision:
            aggregate = self.load(cls, aggregate_id, ctx.expected_version, saved_again=True)
            act(aggregate, today)
            return Decision(result_id or aggregate_id, aggregate.version, (aggregate,))

        return self.execute(ctx, command, arguments, decide, written_to=aggregate_id)

    def load(
        self,
        cls: type[A],
        aggregate_id: UUID,
        expected_version: int | None = None,
        *,
        saved_again: bool = False,
    ) -> A:
        """The aggregate as now recorded, refusing a missing id or a different kind of aggregate.

        A command that will save the aggregate again says `saved_again`: then the aggregate as
        this process last saved it may do (see store/recent.py).
        """

        def fits(aggregate: object) -> bool:
            return isinstance(aggregate, cls) and expected_version in (None, aggregate.version)

        try:
            aggregate = self.writes.get(aggregate_id, saved_again=saved_again, fits=fits)
        except AggregateNotFoundError:
            raise NotFoundError(f"no {cls.__name__.lower()} {aggregate_id}") from None
        if not isinstance(aggregate, cls):
            raise NotFoundError(f"no {cls.__name__.lower()} {aggregate_id}")
        if expected_version is not None and aggregate.version != expected_version:
            raise StaleVersionError(
                f"{cls.__name__.lower()} {aggregate_id} is at version {aggregate.version},"
                f" not {expected_version}"
            )
        return aggregate

    def load_many(self, cls: type[A], aggregate_ids: Sequence[UUID]) -> dict[UUID, A]:
        """Many aggregates of a kind whose streams are short (people, their personal data) as
        now recorded, read together: ids of no such aggregate are left out."""
        found = self.writes.get_many(aggregate_ids)
        return {i: a for i, a in found.items() if isinstance(a, cls)}

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """Save aggregates atomically through the store's write path."""
        if kwargs or not all(isinstance(obj, LedgerAggregate) for obj in objs):
            return super().save(*objs, **kwargs)
        return self.writes.save(objs)

    # Reads.

    def program_of(self, episode_id: UUID) -> UUID:
        """The program of an episode: fixed when it opened, so what this process saved will do."""
        kept = self.writes.peek(episode_id)
        if isinstance(kept, Episode):
            return kept.program_id
        return self.load(Episode, episode_id).program_id

    def recorded_events(
        self,
        aggregate_id: UUID,
        known_at: datetime | None = None,
        *,
        after: int = 0,
        limit: int | None = None,
    ) -> list[Any]:
        """The aggregate's events after version `after` in order, at most `limit` of them, and
        only those recorded by `known_at` if given.

        Each version was recorded after the one before it, so what was known at a moment is a
        prefix of the stream: reading stops at the first event recorded later.
        """
        events: Iterator[Any] = self.events.get(aggregate_id, gt=after or None, limit=limit)
        if known_at is None:
            return list(events)
        moment = known_at if known_at.tzinfo is not None else known_at.replace(tzinfo=UTC)
        return list(takewhile(lambda event: event.timestamp <= moment, events))

    def version_known_at(self, aggregate_id: UUID, known_at: datetime) -> int:
        """The aggregate's last version recorded by `known_at` (0: none was), found by bisection
        over the versions, one event read a step: a long stream is not replayed to find it."""
        last = self.recorder.select_events(aggregate_id, desc=True, limit=1)
        known, unknown = 0, (last[0].originator_version + 1 if last else 1)
        while unknown - known > 1:
            middle = (known + unknown) // 2
            if self.recorded_events(aggregate_id, known_at, after=middle - 1, limit=1):
                known = middle
            else:
                unknown = middle
        return known

    def load_as_known(self, cls: type[A], aggregate_id: UUID, known_at: datetime | None) -> A:
        """The aggregate as it was known at `known_at` (now, if None), from its latest snapshot
        of that time on."""
        if known_at is None:
            return self.load(cls, aggregate_id)
        version = self.version_known_at(aggregate_id, known_at)
        aggregate: object = None
        if version:
            aggregate = self.repository.get(aggregate_id, version=version)
        if not isinstance(aggregate, cls):
            raise NotFoundError(f"no {cls.__name__.lower()} {aggregate_id} known at {known_at}")
        return aggregate


class KeyShredding:
    """An erasure made final by destroying the person's key, and nothing else."""

    def __init__(self, keyring: KeyRing) -> None:
        self.keyring = keyring

    def shred(self, ctx: Context, participant_id: UUID) -> None:
        self.keyring.destroy(personal_data_id_for(participant_id))
