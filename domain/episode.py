"""A service episode: one participant in one program, from intake to closure."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from domain import tracks
from domain.base import (
    Actor,
    DateOrderError,
    DomainError,
    InvalidValueError,
    LedgerAggregate,
    check_occurred_on,
    non_empty,
    one_of,
    stable_topics,
    stamp,
)
from domain.episode_events import EpisodeEvents
from domain.episode_tracks import PlacementOpenError, TrackSteps
from domain.episode_voiding import Voiding
from domain.participant import Participant
from domain.program import Program
from domain.vocabulary import (
    AssessmentStage,
    ClosureReason,
    Residence,
    ServiceKind,
)


class EpisodeClosedError(DomainError):
    """Nothing can be recorded in an episode after it was closed."""

    rule = "episode_closed"


class OutsideProgramPeriodError(DomainError):
    """An episode opens within its program's period."""

    rule = "outside_program_period"


@stable_topics("Episode")
class Episode(EpisodeEvents, TrackSteps, Voiding, LedgerAggregate):
    """What happened to one participant in one program; guards order, dates, beds and closure."""

    def __init__(
        self, participant_id: UUID, program_id: UUID, caseworker: str, referral_source: str
    ) -> None:
        self.participant_id = participant_id
        self.program_id = program_id
        self.caseworker = caseworker
        self.referral_source = referral_source
        self.opened_on: date = date.min
        self.closed_on: date | None = None
        # Latest effective date of anything recorded: closure may not come before it.
        self.latest_on: date = date.min
        # track id (hex) -> {"kind", "steps": [[version, status, occurred_on], ...]}
        self.tracks: dict[str, dict[str, Any]] = {}
        # Versions of standalone entries (services, assessments, plans, mentors) not voided; steps
        # of referrals, placements, courses and jobs live in their tracks. Only versions are kept:
        # an entry's id derives from its version, and a rural episode records ~320 services a year.
        self.standalone: list[int] = []
        self.voided: list[int] = []
        self.entry_count = 0

    def __deepcopy__(self, memo: dict[int, Any]) -> Episode:
        """A copy for the repository's cache that costs little for a long episode.

        The generic deepcopy visits every version number one by one: over a rural year that took
        a third of each command's time. Versions, dates and strings are immutable, so copying the
        lists that hold them is enough.
        """
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.standalone = list(self.standalone)
        clone.voided = list(self.voided)
        clone.tracks = {
            key: {**track, "steps": [list(step) for step in track["steps"]]}
            for key, track in self.tracks.items()
        }
        clone._pending_events = list(self._pending_events)
        return clone

    @classmethod
    def open(
        cls,
        *,
        participant: Participant,
        program: Program,
        caseworker: str,
        referral_source: str,
        occurred_on: date,
        by: Actor,
        today: date,
    ) -> Episode:
        participant.check_can_open_episode()
        check_occurred_on(occurred_on, today)
        if not program.period_start <= occurred_on <= program.period_end:
            raise OutsideProgramPeriodError(
                f"{occurred_on} is outside {program.period_start}..{program.period_end}"
            )
        episode = cls._create(
            cls.Opened,
            participant_id=participant.id,
            program_id=program.id,
            caseworker=non_empty(caseworker, "caseworker"),
            referral_source=non_empty(referral_source, "referral_source"),
            **stamp(by, occurred_on),
        )
        participant.join_program(program.id, episode.id, occurred_on, by, today)
        return episode

    # Applying events (called by the event classes, also on replay).

    def note_date(self, occurred_on: date) -> None:
        self.latest_on = max(self.latest_on, occurred_on)

    def note_entry(self, event: Any, *, standalone: bool = True) -> None:
        self.note_date(event.occurred_on)
        self.entry_count += 1
        if standalone:
            self.standalone.append(event.originator_version)

    def note_step(self, event: Any, kind: str, status: str, track_id: UUID, **details: str) -> None:
        track = self.tracks.setdefault(track_id.hex, {"kind": kind, "steps": [], **details})
        track["steps"].append([event.originator_version, status, event.occurred_on])
        self.note_entry(event, standalone=False)

    # Commands.

    def assign_caseworker(self, caseworker: str, occurred_on: date, by: Actor, today: date) -> None:
        self._check_open(occurred_on, today)
        self.trigger_event(
            self.CaseworkerAssigned,
            caseworker=non_empty(caseworker, "caseworker"),
            **stamp(by, occurred_on),
        )

    def record_assessment(
        self,
        stage: AssessmentStage,
        instrument: str,
        scores: dict[str, int],
        occurred_on: date,
        by: Actor,
        today: date,
    ) -> None:
        self._check_open(occurred_on, today)
        self.trigger_event(
            self.AssessmentRecorded,
            stage=one_of(AssessmentStage, stage),
            instrument=non_empty(instrument, "instrument"),
            scores=dict(scores),
            **stamp(by, occurred_on),
        )

    def agree_plan(
        self, goals: list[str], review_on: date | None, occurred_on: date, by: Actor, today: date
    ) -> None:
        self._check_open(occurred_on, today)
        if not goals:
            raise InvalidValueError("a plan has at least one goal")
        if review_on is not None and review_on < occurred_on:
            raise InvalidValueError("review_on is before the plan was agreed")
        self.trigger_event(
            self.PlanAgreed,
            goals=[non_empty(goal, "goal") for goal in goals],
            review_on=review_on,
            **stamp(by, occurred_on),
        )

    def deliver_service(
        self,
        kind: ServiceKind,
        quantity: int,
        settlement: str,
        occurred_on: date,
        by: Actor,
        today: date,
    ) -> None:
        self._check_open(occurred_on, today)
        if quantity < 1:
            raise InvalidValueError("quantity must be at least 1")
        self.trigger_event(
            self.ServiceDelivered,
            kind=one_of(ServiceKind, kind),
            quantity=quantity,
            settlement=non_empty(settlement, "settlement"),
            **stamp(by, occurred_on),
        )

    def assign_mentor(self, mentor_ref: str, occurred_on: date, by: Actor, today: date) -> None:
        self._check_open(occurred_on, today)
        self.trigger_event(
            self.MentorAssigned,
            mentor_ref=non_empty(mentor_ref, "mentor_ref"),
            **stamp(by, occurred_on),
        )

    def close(
        self,
        reason: ClosureReason,
        destination: Residence,
        occurred_on: date,
        by: Actor,
        today: date,
    ) -> None:
        self._check_open(occurred_on, today)
        if occurred_on < self.latest_on:
            raise DateOrderError(f"closure {occurred_on} is before {self.latest_on}")
        if tracks.open_placement(self.tracks, occurred_on) is not None:
            raise PlacementOpenError("end the placement before closing the episode")
        self.trigger_event(
            self.Closed,
            reason=one_of(ClosureReason, reason),
            destination=one_of(Residence, destination),
            **stamp(by, occurred_on),
        )

    def _check_open(self, occurred_on: date, today: date) -> None:
        if self.closed_on is not None:
            raise EpisodeClosedError(f"episode {self.id} was closed on {self.closed_on}")
        check_occurred_on(occurred_on, today, not_before=self.opened_on)
