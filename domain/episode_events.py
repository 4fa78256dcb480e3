"""The facts of a service episode as they are stored, and how each changes the episode's state.

The `Episode` names every one of them (`Episode.ServiceDelivered`, …): their topics come from
those names (`ledger:Episode.ServiceDelivered`), so the classes live here without a stored event
noticing. A step of a referral, placement, course or job says which status it records; which step
may follow which is the track's own rule (domain/tracks.py).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from domain.base import LedgerAggregate
from domain.tracks import Course, Job, Placement, Referral, Step, Track

if TYPE_CHECKING:  # for annotations only: the episode imports this module to name its events
    from domain.episode import Episode


class EpisodeEvent(LedgerAggregate.Event):
    """Base of the episode's events (its `Episode.Event`)."""

    def note_date(self, episode: Episode) -> None:
        # Closure may not come before the latest effective date of anything recorded.
        episode.latest_on = max(episode.latest_on, self.occurred_on)

    def count_entry(self, episode: Episode) -> None:
        self.note_date(episode)
        episode.entry_count += 1


class Opened(EpisodeEvent, LedgerAggregate.Created):
    """The episode opened for a participant in a program, with a caseworker."""

    participant_id: UUID
    program_id: UUID
    caseworker: str
    referral_source: str

    def apply(self, episode: Episode) -> None:
        episode.opened_on = self.occurred_on
        self.note_date(episode)


class CaseworkerAssigned(EpisodeEvent):
    """Another caseworker took the episode over."""

    caseworker: str

    def apply(self, episode: Episode) -> None:
        episode.caseworker = self.caseworker
        self.note_date(episode)


class Entry(EpisodeEvent):
    """An entry on its own, in no track: counted, and voidable by its id."""

    def apply(self, episode: Episode) -> None:
        self.count_entry(episode)
        episode.standalone.append(self.originator_version)


class AssessmentRecorded(Entry):
    """An assessment at intake, midway or at the end: the instrument and its scores."""

    stage: str
    instrument: str
    scores: dict[str, int]


class PlanAgreed(Entry):
    """A plan with its goals, and when it is to be reviewed."""

    goals: list[str]
    review_on: date | None


class ServiceDelivered(Entry):
    """A service of a kind, so many times, in a settlement."""

    kind: str
    quantity: int
    settlement: str


class MentorAssigned(Entry):
    """A mentor accompanies the participant: a person the ledger knows, either a participant
    (seed 004's mentors once were in crisis themselves) or a member of staff (their subject)."""

    mentor_participant_id: UUID | None
    mentor_staff: str | None

    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        # Version 1 named the mentor by a free-text reference, which named a volunteer on staff.
        state["mentor_staff"] = state.pop("mentor_ref")
        state["mentor_participant_id"] = None


class TrackStep(EpisodeEvent):
    """A step of a referral, placement, course or job: `status` is the status it records."""

    track: ClassVar[type[Track]]
    status: ClassVar[str]

    def take_step(self, episode: Episode, track_id: UUID, **details: Any) -> None:
        step = Step(self.originator_version, self.status, self.occurred_on)
        if self.status == self.track.first:
            episode.tracks[track_id] = self.track(track_id, (step,), **details)
        else:
            episode.tracks[track_id] = episode.tracks[track_id].moved(step)
        self.count_entry(episode)


class ReferralStep(TrackStep):
    """A step of a referral."""

    track = Referral
    referral_id: UUID

    def apply(self, episode: Episode) -> None:
        self.take_step(episode, self.referral_id)


class ReferralMade(ReferralStep):
    """The participant was referred to a specialist."""

    status = "made"
    specialist: str


class ReferralAccepted(ReferralStep):
    """The specialist accepted the referral."""

    status = "accepted"


class ReferralDeclined(ReferralStep):
    """The specialist declined the referral, for a reason."""

    status = "declined"
    reason: str


class ReferralCompleted(ReferralStep):
    """The specialist's work on the referral is done."""

    status = "completed"


class PlacementStep(TrackStep):
    """A step of a placement."""

    track = Placement
    placement_id: UUID

    def apply(self, episode: Episode) -> None:
        self.take_step(episode, self.placement_id)


class PlacementStarted(PlacementStep):
    """The participant took a bed in a facility."""

    status = "started"
    facility_id: UUID
    bed: int

    def apply(self, episode: Episode) -> None:
        self.take_step(episode, self.placement_id, facility=self.facility_id)


class PlacementEnded(PlacementStep):
    """The participant left the bed, for where they went to live."""

    status = "ended"
    destination: str


class CourseStep(TrackStep):
    """A step of a course."""

    track = Course
    course_id: UUID

    def apply(self, episode: Episode) -> None:
        self.take_step(episode, self.course_id)


class CourseRequested(CourseStep):
    """A course was asked for: its title, length and format."""

    status = "requested"
    title: str
    hours: int
    format: str


class CourseEnrolled(CourseStep):
    """The participant was enrolled in the course."""

    status = "enrolled"


class CourseCompleted(CourseStep):
    """The participant completed the course."""

    status = "completed"


class CourseDropped(CourseStep):
    """The participant left the course before completing it, for a reason."""

    status = "dropped"
    reason: str


class JobStep(TrackStep):
    """A step of a job."""

    track = Job
    job_id: UUID

    def apply(self, episode: Episode) -> None:
        self.take_step(episode, self.job_id)


class JobStarted(JobStep):
    """The participant started work: on the open market or in a supported workshop, for so
    many hours a week (None: not recorded)."""

    status = "started"
    employment: str
    occupation: str
    hours_per_week: int | None

    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        # Version 1 did not ask how many hours a week: for jobs recorded then, nobody knows.
        state["hours_per_week"] = None


class JobEnded(JobStep):
    """The job ended, for a reason."""

    status = "ended"
    reason: str


class EntryVoided(EpisodeEvent):
    """An entry was made in error: history keeps both, counts skip the voided one."""

    event_id: UUID
    reason: str

    def apply(self, episode: Episode) -> None:
        found = episode.find_entry(self.event_id)
        if found is None:  # cannot happen for a voiding the episode accepted
            return
        version, track_id = found
        episode.voided.append(version)
        if track_id is None:
            episode.standalone.remove(version)
            return
        rest = episode.tracks[track_id].undone()
        if rest is None:
            del episode.tracks[track_id]
        else:
            episode.tracks[track_id] = rest


class Closed(EpisodeEvent):
    """The episode closed, for a reason, with where the participant lives now."""

    reason: str
    destination: str

    def apply(self, episode: Episode) -> None:
        episode.closed_on = self.occurred_on


# The event that records each move of a track after its first step, for the episode's commands.
MOVES: dict[tuple[type[Track], str], type[TrackStep]] = {
    (event.track, event.status): event
    for event in (
        ReferralAccepted,
        ReferralDeclined,
        ReferralCompleted,
        PlacementEnded,
        CourseEnrolled,
        CourseCompleted,
        CourseDropped,
        JobEnded,
    )
}
