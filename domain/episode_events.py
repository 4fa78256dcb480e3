"""The facts of a service episode, as stored. Each event applies itself through the episode."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from domain.base import LedgerAggregate
from domain.tracks import COURSE, JOB, PLACEMENT, REFERRAL


class EpisodeEvents:
    """Mixed into `Episode`, whose metaclass re-bases each class below on `Episode.Event`."""

    class Opened(LedgerAggregate.Created):
        participant_id: UUID
        program_id: UUID
        caseworker: str
        referral_source: str

        def apply(self, aggregate: Any) -> None:
            aggregate.opened_on = self.occurred_on
            aggregate.note_date(self.occurred_on)

    class CaseworkerAssigned(LedgerAggregate.Event):
        caseworker: str

        def apply(self, aggregate: Any) -> None:
            aggregate.caseworker = self.caseworker
            aggregate.note_date(self.occurred_on)

    class AssessmentRecorded(LedgerAggregate.Event):
        stage: str
        instrument: str
        scores: dict[str, int]

        def apply(self, aggregate: Any) -> None:
            aggregate.note_entry(self)

    class PlanAgreed(LedgerAggregate.Event):
        goals: list[str]
        review_on: date | None

        def apply(self, aggregate: Any) -> None:
            aggregate.note_entry(self)

    class ReferralMade(LedgerAggregate.Event):
        referral_id: UUID
        specialist: str

        def apply(self, aggregate: Any) -> None:
            aggregate.note_step(self, REFERRAL, "made", self.referral_id)

    class ReferralAccepted(LedgerAggregate.Event):
        referral_id: UUID

        def apply(self, aggregate: Any) -> None:
            aggregate.note_step(self, REFERRAL, "accepted", self.referral_id)

    class ReferralDeclined(LedgerAggregate.Event):
        referral_id: UUID
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.note_step(self, REFERRAL, "declined", self.referral_id)

    class ReferralCompleted(LedgerAggregate.Event):
        referral_id: UUID

        def apply(self, aggregate: Any) -> None:
            aggregate.note_step(self, REFERRAL, "completed", self.referral_id)

    class PlacementStarted(LedgerAggregate.Event):
        placement_id: UUID
        facility_id: UUID
        bed: int

        def apply(self, aggregate: Any) -> None:
            aggregate.note_step(
                self, PLACEMENT, "started", self.placement_id, facility=self.facility_id.hex
            )

    class PlacementEnded(LedgerAggregate.Event):
        placement_id: UUID
        destination: str

        def apply(self, aggregate: Any) -> None:
            aggregate.note_step(self, PLACEMENT, "ended", self.placement_id)

    class CourseRequested(LedgerAggregate.Event):
        course_id: UUID
        title: str
        hours: int
        format: str

        def apply(self, aggregate: Any) -> None:
            aggregate.note_step(self, COURSE, "requested", self.course_id)

    class CourseEnrolled(LedgerAggregate.Event):
        course_id: UUID

        def apply(self, aggregate: Any) -> None:
            aggregate.note_step(self, COURSE, "enrolled", self.course_id)

    class CourseCompleted(LedgerAggregate.Event):
        course_id: UUID

        def apply(self, aggregate: Any) -> None:
            aggregate.note_step(self, COURSE, "completed", self.course_id)

    class CourseDropped(LedgerAggregate.Event):
        course_id: UUID
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.note_step(self, COURSE, "dropped", self.course_id)

    class JobStarted(LedgerAggregate.Event):
        job_id: UUID
        employment: str
        occupation: str

        def apply(self, aggregate: Any) -> None:
            aggregate.note_step(self, JOB, "started", self.job_id)

    class JobEnded(LedgerAggregate.Event):
        job_id: UUID
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.note_step(self, JOB, "ended", self.job_id)

    class ServiceDelivered(LedgerAggregate.Event):
        kind: str
        quantity: int
        settlement: str

        def apply(self, aggregate: Any) -> None:
            aggregate.note_entry(self)

    class MentorAssigned(LedgerAggregate.Event):
        mentor_ref: str

        def apply(self, aggregate: Any) -> None:
            aggregate.note_entry(self)

    class EntryVoided(LedgerAggregate.Event):
        event_id: UUID
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.note_voided(self.event_id)

    class Closed(LedgerAggregate.Event):
        reason: str
        destination: str

        def apply(self, aggregate: Any) -> None:
            aggregate.closed_on = self.occurred_on
