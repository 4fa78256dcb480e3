"""A service episode: one participant in one program, from intake to closure.

The aggregate: its state, its commands and the rules that hold across its tracks (nothing after
closure, dates in order, one bed at a time, what may be voided), and how it is copied and kept in
snapshots. Its facts, and how each changes its state, are in domain/episode_events.py; how a
referral, placement, course or job may move is the track's own rule (domain/tracks.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Snapshot as LibrarySnapshot

from domain import episode_events as events
from domain import tracks
from domain.base import (
    Actor,
    DateOrderError,
    DomainError,
    InvalidValueError,
    LedgerAggregate,
    NotFoundError,
    check_occurred_on,
    non_empty,
    one_of,
    stable_topics,
    stamp,
)
from domain.catalogue import check_offered
from domain.facility import Facility
from domain.participant import Participant
from domain.program import Program
from domain.tracks import (
    Course,
    Job,
    Placement,
    PlacementOpenError,
    Referral,
    Track,
    entry_id,
)
from domain.vocabulary import (
    COURSE_HOURS,
    MAX_HOURS_PER_WEEK,
    AssessmentStage,
    ClosureReason,
    CourseFormat,
    Employment,
    Residence,
    ServiceKind,
    Specialist,
)

T = TypeVar("T", bound=Track)


class EpisodeClosedError(DomainError):
    """Nothing can be recorded in an episode after it was closed."""

    rule = "episode_closed"


class OutsideProgramPeriodError(DomainError):
    """An episode opens within its program's period."""

    rule = "outside_program_period"


class MentorNotAllowedError(InvalidValueError):
    """A mentor is exactly one person the ledger knows, not the mentored participant."""

    rule = "mentor_not_allowed"


class EntryNotVoidableError(DomainError):
    """Only the latest step of an entry can be voided, once; placements are ended, not voided."""

    rule = "entry_not_voidable"


@stable_topics("Episode")
class Episode(LedgerAggregate):
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
        # Referrals, placements, courses and jobs by id, in the order they started.
        self.tracks: dict[UUID, Track] = {}
        # Versions of standalone entries (services, assessments, plans, mentors) not voided; steps
        # of tracks are in the tracks. Only versions are kept: an entry's id derives from its
        # version, and a rural episode records ~320 services a year.
        self.standalone: list[int] = []
        self.voided: list[int] = []
        self.entry_count = 0

    # Its facts (domain/episode_events.py): their stored topics come from these names.
    Event = events.EpisodeEvent
    Opened = events.Opened
    CaseworkerAssigned = events.CaseworkerAssigned
    AssessmentRecorded = events.AssessmentRecorded
    PlanAgreed = events.PlanAgreed
    ReferralMade = events.ReferralMade
    ReferralAccepted = events.ReferralAccepted
    ReferralDeclined = events.ReferralDeclined
    ReferralCompleted = events.ReferralCompleted
    PlacementStarted = events.PlacementStarted
    PlacementEnded = events.PlacementEnded
    CourseRequested = events.CourseRequested
    CourseEnrolled = events.CourseEnrolled
    CourseCompleted = events.CourseCompleted
    CourseDropped = events.CourseDropped
    JobStarted = events.JobStarted
    JobEnded = events.JobEnded
    ServiceDelivered = events.ServiceDelivered
    MentorAssigned = events.MentorAssigned
    EntryVoided = events.EntryVoided
    Closed = events.Closed

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
        kind: ServiceKind | str,
        quantity: int,
        settlement: str,
        occurred_on: date,
        by: Actor,
        today: date,
        program: Program | None = None,
    ) -> None:
        """A service of a built-in kind, or of a kind in the catalogue of `program` (this
        episode's program: needed only for a kind that is not built-in)."""
        self._check_open(occurred_on, today)
        if quantity < 1:
            raise InvalidValueError("quantity must be at least 1")
        if program is not None and program.id != self.program_id:
            raise InvalidValueError("a service is offered by the episode's own program")
        catalogue = None if program is None else program.catalogue
        self.trigger_event(
            self.ServiceDelivered,
            kind=check_offered(str(kind), catalogue, "" if program is None else program.code),
            quantity=quantity,
            settlement=non_empty(settlement, "settlement"),
            **stamp(by, occurred_on),
        )

    def assign_mentor(
        self,
        mentor_participant_id: UUID | None,
        mentor_staff: str | None,
        occurred_on: date,
        by: Actor,
        today: date,
    ) -> None:
        """A mentor is a participant (not this episode's) or a member of staff, never both."""
        self._check_open(occurred_on, today)
        if (mentor_participant_id is None) == (mentor_staff is None):
            raise MentorNotAllowedError(
                "name the mentor by exactly one of mentor_participant_id (a participant) and"
                " mentor_staff (a member of staff)"
            )
        if mentor_participant_id == self.participant_id:
            raise MentorNotAllowedError("a participant cannot mentor themselves")
        self.trigger_event(
            self.MentorAssigned,
            mentor_participant_id=mentor_participant_id,
            mentor_staff=None if mentor_staff is None else non_empty(mentor_staff, "mentor_staff"),
            **stamp(by, occurred_on),
        )

    # Referrals, placements, courses and jobs: the episode checks it is open, the track checks
    # the move, the event records it.

    def make_referral(
        self, referral_id: UUID, specialist: Specialist, occurred_on: date, by: Actor, today: date
    ) -> None:
        self._check_open(occurred_on, today)
        self.trigger_event(
            self.ReferralMade,
            referral_id=referral_id,
            specialist=one_of(Specialist, specialist),
            **stamp(by, occurred_on),
        )

    def answer_referral(
        self, referral_id: UUID, answer: str, reason: str, occurred_on: date, by: Actor, today: date
    ) -> None:
        """Accept, decline or complete a referral."""
        event = self._move(Referral, referral_id, answer, occurred_on, today)
        facts = {"reason": non_empty(reason, "reason")} if answer == "declined" else {}
        self.trigger_event(event, referral_id=referral_id, **facts, **stamp(by, occurred_on))

    def start_placement(
        self, facility: Facility, placement_id: UUID, occurred_on: date, by: Actor, today: date
    ) -> int:
        """Take a bed in the facility for this episode's participant; returns the bed number."""
        self._check_open(occurred_on, today)
        if self._holds_bed_after(occurred_on):
            raise PlacementOpenError("the participant already holds a bed from this episode")
        bed = facility.assign_bed(
            placement_id=placement_id,
            participant_id=self.participant_id,
            episode_id=self.id,
            occurred_on=occurred_on,
            by=by,
            today=today,
        )
        self.trigger_event(
            self.PlacementStarted,
            placement_id=placement_id,
            facility_id=facility.id,
            bed=bed,
            **stamp(by, occurred_on),
        )
        return bed

    def end_placement(
        self,
        facility: Facility,
        placement_id: UUID,
        destination: Residence,
        occurred_on: date,
        by: Actor,
        today: date,
    ) -> None:
        event = self._move(Placement, placement_id, "ended", occurred_on, today)
        facility.release_bed(placement_id, occurred_on, by, today)
        self.trigger_event(
            event,
            placement_id=placement_id,
            destination=one_of(Residence, destination),
            **stamp(by, occurred_on),
        )

    def placement_facility(self, placement_id: UUID) -> UUID:
        """The facility a placement of this episode is in (to load it before ending the stay)."""
        return self._track(Placement, placement_id).facility

    def request_course(
        self,
        course_id: UUID,
        title: str,
        hours: int,
        course_format: CourseFormat,
        occurred_on: date,
        by: Actor,
        today: date,
    ) -> None:
        self._check_open(occurred_on, today)
        if hours not in COURSE_HOURS:
            raise InvalidValueError(f"courses last {COURSE_HOURS} hours, not {hours}")
        self.trigger_event(
            self.CourseRequested,
            course_id=course_id,
            title=non_empty(title, "title"),
            hours=hours,
            format=one_of(CourseFormat, course_format),
            **stamp(by, occurred_on),
        )

    def advance_course(
        self, course_id: UUID, to: str, reason: str, occurred_on: date, by: Actor, today: date
    ) -> None:
        """Enrol in, complete or drop a requested course."""
        event = self._move(Course, course_id, to, occurred_on, today)
        facts = {"reason": non_empty(reason, "reason")} if to == "dropped" else {}
        self.trigger_event(event, course_id=course_id, **facts, **stamp(by, occurred_on))

    def start_job(
        self,
        job_id: UUID,
        employment: Employment,
        occupation: str,
        occurred_on: date,
        by: Actor,
        today: date,
        hours_per_week: int | None = None,
    ) -> None:
        """`hours_per_week` as agreed with the employer, or None if not known."""
        self._check_open(occurred_on, today)
        if hours_per_week is not None and (
            type(hours_per_week) is not int or not 1 <= hours_per_week <= MAX_HOURS_PER_WEEK
        ):
            raise InvalidValueError(
                f"hours_per_week is a whole number from 1 to {MAX_HOURS_PER_WEEK},"
                f" not {hours_per_week!r}"
            )
        self.trigger_event(
            self.JobStarted,
            job_id=job_id,
            employment=one_of(Employment, employment),
            occupation=non_empty(occupation, "occupation"),
            hours_per_week=hours_per_week,
            **stamp(by, occurred_on),
        )

    def end_job(self, job_id: UUID, reason: str, occurred_on: date, by: Actor, today: date) -> None:
        event = self._move(Job, job_id, "ended", occurred_on, today)
        self.trigger_event(
            event, job_id=job_id, reason=non_empty(reason, "reason"), **stamp(by, occurred_on)
        )

    def find_entry(self, event_id: UUID) -> tuple[int, UUID | None] | None:
        """The version of a recorded, not voided entry, and its track's id (None: standalone)."""
        for version in self.standalone:
            if entry_id(self.id, version) == event_id:
                return version, None
        for track_id, track in self.tracks.items():
            for step in track.steps:
                if entry_id(self.id, step.version) == event_id:
                    return step.version, track_id
        return None

    def is_voided(self, event_id: UUID) -> bool:
        return any(entry_id(self.id, version) == event_id for version in self.voided)

    def void_entry(self, event_id: UUID, reason: str, by: Actor, today: date) -> None:
        """Mark an entry made in error; history keeps both, counts skip the voided one."""
        self._check_open(today, today)
        if self.is_voided(event_id):
            raise EntryNotVoidableError(f"entry {event_id} is already voided")
        found = self.find_entry(event_id)
        if found is None:
            raise NotFoundError(f"no voidable entry {event_id} in this episode")
        version, track_id = found
        if track_id is not None:
            track = self.tracks[track_id]
            if isinstance(track, Placement):
                raise EntryNotVoidableError("a placement holds a bed: end it instead of voiding")
            if track.steps[-1].version != version:
                raise EntryNotVoidableError(f"a later step of {track.kind} depends on it")
        self.trigger_event(
            self.EntryVoided,
            event_id=event_id,
            reason=non_empty(reason, "reason"),
            **stamp(by, today),
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
        if self._holds_bed_after(occurred_on):
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

    def _track(self, kind: type[T], track_id: UUID) -> T:
        track = self.tracks.get(track_id)
        if not isinstance(track, kind):
            raise NotFoundError(f"no {kind.kind} {track_id} in this episode")
        return track

    def _move(
        self, kind: type[Track], track_id: UUID, to: str, occurred_on: date, today: date
    ) -> type[events.TrackStep]:
        """Check that the episode is open and the track may move; the event that records it."""
        self._check_open(occurred_on, today)
        self._track(kind, track_id).check_move(to, occurred_on, today)
        return events.MOVES[kind, to]

    def _holds_bed_after(self, day: date) -> bool:
        return any(
            isinstance(track, Placement) and track.holds_bed_after(day)
            for track in self.tracks.values()
        )

    # Copies and snapshots.

    def __deepcopy__(self, memo: dict[int, Any]) -> Episode:
        """A copy for the repository's cache that costs little for a long episode.

        Versions, dates, strings and tracks are immutable, so copying the containers that hold
        them is enough; the generic deepcopy would visit every version one by one.
        """
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.standalone = list(self.standalone)
        clone.voided = list(self.voided)
        clone.tracks = dict(self.tracks)
        clone._pending_events = list(self._pending_events)
        return clone

    # A snapshot keeps the tracks as plain data, as it did before they were values (version 1):
    # snapshots written before and after read alike, and the library's upcast of a snapshot's
    # state (from 1 to this class_version) is where the tracks become values again.
    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        values = (tracks.restored(key, stored) for key, stored in state["tracks"].items())
        state["tracks"] = {track.id: track for track in values}

    class Snapshot:
        """Takes the library's snapshot of an episode, with its state in the shape of version 1.

        Not a subclass: every snapshot stays the library's class, under the one topic they share.
        """

        @staticmethod
        def take(episode: Episode) -> LibrarySnapshot:
            snapshot = LibrarySnapshot.take(episode)
            del snapshot.state["class_version"]
            snapshot.state["tracks"] = {
                track_id.hex: track.stored() for track_id, track in episode.tracks.items()
            }
            return snapshot
