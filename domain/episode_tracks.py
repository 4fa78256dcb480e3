"""An episode's tracks: referrals, placements, courses and jobs, each a run of steps in order."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain import tracks
from domain.base import (
    Actor,
    DomainError,
    InvalidValueError,
    NotFoundError,
    non_empty,
    one_of,
    stamp,
)
from domain.facility import Facility
from domain.tracks import COURSE, JOB, PLACEMENT, REFERRAL
from domain.vocabulary import COURSE_HOURS, CourseFormat, Employment, Residence, Specialist


class PlacementOpenError(DomainError):
    """The person still holds a bed from this episode (one bed at a time; end it before closing)."""

    rule = "placement_open"


class TrackSteps:
    """Mixed into `Episode`: the commands that start a track or take it a step further."""

    if TYPE_CHECKING:  # provided by Episode and the library's aggregate

        @property
        def id(self) -> UUID: ...

        participant_id: UUID
        tracks: dict[str, dict[str, Any]]
        ReferralMade: Any
        ReferralAccepted: Any
        ReferralDeclined: Any
        ReferralCompleted: Any
        PlacementStarted: Any
        PlacementEnded: Any
        CourseRequested: Any
        CourseEnrolled: Any
        CourseCompleted: Any
        CourseDropped: Any
        JobStarted: Any
        JobEnded: Any

        def _check_open(self, occurred_on: date, today: date) -> None: ...

        def trigger_event(self, event_class: Any, **kwargs: Any) -> None: ...

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
