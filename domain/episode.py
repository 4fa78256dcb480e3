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
    NotFoundError,
    check_occurred_on,
    non_empty,
    one_of,
    stable_topics,
    stamp,
)
from domain.episode_events import EpisodeEvents
from domain.episode_voiding import Voiding
from domain.facility import Facility
from domain.participant import Participant
from domain.program import Program
from domain.tracks import COURSE, JOB, PLACEMENT, REFERRAL
from domain.vocabulary import (
    COURSE_HOURS,
    AssessmentStage,
    ClosureReason,
    CourseFormat,
    Employment,
    Residence,
    ServiceKind,
    Specialist,
)


class EpisodeClosedError(DomainError):
    """Nothing can be recorded in an episode after it was closed."""

    rule = "episode_closed"


class OutsideProgramPeriodError(DomainError):
    """An episode opens within its program's period."""

    rule = "outside_program_period"


class PlacementOpenError(DomainError):
    """The person still holds a bed from this episode (one bed at a time; end it before closing)."""

    rule = "placement_open"


@stable_topics("Episode")
class Episode(EpisodeEvents, Voiding, LedgerAggregate):
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
        self,
        referral_id: UUID,
        answer: str,
        reason: str,
        occurred_on: date,
        by: Actor,
        today: date,
    ) -> None:
        """Accept, decline or complete a referral."""
        self._check_open(occurred_on, today)
        tracks.check_step(self.tracks, REFERRAL, referral_id, answer, occurred_on, today)
        if answer == "declined":
            self.trigger_event(
                self.ReferralDeclined,
                referral_id=referral_id,
                reason=non_empty(reason, "reason"),
                **stamp(by, occurred_on),
            )
        else:
            event_class = self.ReferralAccepted if answer == "accepted" else self.ReferralCompleted
            self.trigger_event(event_class, referral_id=referral_id, **stamp(by, occurred_on))

    def start_placement(
        self, facility: Facility, placement_id: UUID, occurred_on: date, by: Actor, today: date
    ) -> int:
        """Take a bed in the facility for this episode's participant; returns the bed number."""
        self._check_open(occurred_on, today)
        if tracks.open_placement(self.tracks, occurred_on) is not None:
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
        self._check_open(occurred_on, today)
        tracks.check_step(self.tracks, PLACEMENT, placement_id, "ended", occurred_on, today)
        facility.release_bed(placement_id, occurred_on, by, today)
        self.trigger_event(
            self.PlacementEnded,
            placement_id=placement_id,
            destination=one_of(Residence, destination),
            **stamp(by, occurred_on),
        )

    def placement_facility(self, placement_id: UUID) -> UUID:
        """The facility a placement of this episode is in (to load it before ending the stay)."""
        track = self.tracks.get(placement_id.hex)
        if track is None or track["kind"] != PLACEMENT:
            raise NotFoundError(f"no placement {placement_id} in this episode")
        return UUID(track["facility"])

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
        self._check_open(occurred_on, today)
        tracks.check_step(self.tracks, COURSE, course_id, to, occurred_on, today)
        if to == "dropped":
            self.trigger_event(
                self.CourseDropped,
                course_id=course_id,
                reason=non_empty(reason, "reason"),
                **stamp(by, occurred_on),
            )
        else:
            event_class = self.CourseEnrolled if to == "enrolled" else self.CourseCompleted
            self.trigger_event(event_class, course_id=course_id, **stamp(by, occurred_on))

    def start_job(
        self,
        job_id: UUID,
        employment: Employment,
        occupation: str,
        occurred_on: date,
        by: Actor,
        today: date,
    ) -> None:
        self._check_open(occurred_on, today)
        self.trigger_event(
            self.JobStarted,
            job_id=job_id,
            employment=one_of(Employment, employment),
            occupation=non_empty(occupation, "occupation"),
            **stamp(by, occurred_on),
        )

    def end_job(self, job_id: UUID, reason: str, occurred_on: date, by: Actor, today: date) -> None:
        self._check_open(occurred_on, today)
        tracks.check_step(self.tracks, JOB, job_id, "ended", occurred_on, today)
        self.trigger_event(
            self.JobEnded,
            job_id=job_id,
            reason=non_empty(reason, "reason"),
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
