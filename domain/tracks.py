"""Referrals, placements, courses and jobs: the tracks of an episode, and how each may move.

A track is a typed value: a run of steps in order. Each kind says its first status and which
status may follow which; a new step makes a new value, and voiding the latest step gives back
the value before it. A step, like every entry of an episode, is known by `entry_id`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from typing import Any, ClassVar, NamedTuple, Self
from uuid import UUID, uuid5

from domain.base import DomainError, check_occurred_on


class TransitionNotAllowedError(DomainError):
    """The entry is not in a state that allows this step (e.g. accepting a declined referral)."""

    rule = "transition_not_allowed"


class CourseNotEnrolledError(TransitionNotAllowedError):
    """A course can only be completed after enrolment."""

    rule = "course_completion_requires_enrolment"


class ReferralNotAcceptedError(TransitionNotAllowedError):
    """A referral can only be completed after it was accepted."""

    rule = "referral_completion_requires_acceptance"


class PlacementOpenError(DomainError):
    """The person still holds a bed from this episode (one bed at a time; end it before closing)."""

    rule = "placement_open"


@lru_cache(maxsize=1 << 16)  # read models and episodes ask again for the ids of recent events
def entry_id(episode_id: UUID, version: int) -> UUID:
    """The id of an episode's event, derived from its place in the stream: stable and unique."""
    return uuid5(episode_id, str(version))


class Step(NamedTuple):
    """One step of a track: the version of the event that made it, the status, the day."""

    version: int
    status: str
    occurred_on: date


@dataclass(frozen=True, slots=True)
class Track:
    """A run of steps; each kind of track says how it starts and which step may follow which."""

    kind: ClassVar[str]
    first: ClassVar[str]
    # current status -> the statuses it may move to
    moves: ClassVar[dict[str, frozenset[str]]]
    # a refused move that has an error of its own, by the status it aimed at
    refusals: ClassVar[dict[str, type[TransitionNotAllowedError]]] = {}

    id: UUID
    steps: tuple[Step, ...]

    @property
    def status(self) -> str:
        return self.steps[-1].status

    @property
    def started_on(self) -> date:
        return self.steps[0].occurred_on

    @property
    def updated_on(self) -> date:
        return self.steps[-1].occurred_on

    def check_move(self, to: str, occurred_on: date, today: date) -> None:
        """Refuse a step that the track's current status or dates do not allow."""
        if to not in self.moves.get(self.status, frozenset()):
            error = self.refusals.get(to, TransitionNotAllowedError)
            raise error(f"{self.kind} {self.id} is {self.status}; it cannot become {to}")
        check_occurred_on(occurred_on, today, not_before=self.updated_on)

    def moved(self, step: Step) -> Self:
        return replace(self, steps=(*self.steps, step))

    def undone(self) -> Self | None:
        """The track without its latest step (voided); None when that was its only step."""
        return replace(self, steps=self.steps[:-1]) if len(self.steps) > 1 else None

    def stored(self) -> dict[str, Any]:
        """The track as snapshots keep it: plain data, the same shape since before tracks were
        values (an episode snapshot written by any version reads alike)."""
        return {"kind": self.kind, "steps": [list(step) for step in self.steps]}


@dataclass(frozen=True, slots=True)
class Referral(Track):
    """A referral to a specialist: made, then accepted and completed, or declined."""

    kind: ClassVar[str] = "referral"
    first: ClassVar[str] = "made"
    moves: ClassVar[dict[str, frozenset[str]]] = {
        "made": frozenset({"accepted", "declined"}),
        "accepted": frozenset({"completed"}),
    }
    refusals: ClassVar[dict[str, type[TransitionNotAllowedError]]] = {
        "completed": ReferralNotAcceptedError
    }


@dataclass(frozen=True, slots=True)
class Placement(Track):
    """A stay in a bed of a facility: started, then ended."""

    kind: ClassVar[str] = "placement"
    first: ClassVar[str] = "started"
    moves: ClassVar[dict[str, frozenset[str]]] = {"started": frozenset({"ended"})}

    facility: UUID

    def holds_bed_after(self, day: date) -> bool:
        """Still in its bed, or leaving it only after the day."""
        return self.status == "started" or self.updated_on > day

    def stored(self) -> dict[str, Any]:
        # Named, not super(): a slots dataclass is a new class, which super() here does not see.
        return {**Track.stored(self), "facility": self.facility.hex}


@dataclass(frozen=True, slots=True)
class Course(Track):
    """A vocational course: requested, enrolled in, completed; or dropped before completion."""

    kind: ClassVar[str] = "course"
    first: ClassVar[str] = "requested"
    moves: ClassVar[dict[str, frozenset[str]]] = {
        "requested": frozenset({"enrolled", "dropped"}),
        "enrolled": frozenset({"completed", "dropped"}),
    }
    refusals: ClassVar[dict[str, type[TransitionNotAllowedError]]] = {
        "completed": CourseNotEnrolledError
    }


@dataclass(frozen=True, slots=True)
class Job(Track):
    """Work on the open market or in a supported workshop: started, then ended."""

    kind: ClassVar[str] = "job"
    first: ClassVar[str] = "started"
    moves: ClassVar[dict[str, frozenset[str]]] = {"started": frozenset({"ended"})}


_KINDS: dict[str, type[Track]] = {kind.kind: kind for kind in (Referral, Placement, Course, Job)}


def restored(key: str, stored: dict[str, Any]) -> Track:
    """A track from the plain data a snapshot keeps under its id's hex (see `Track.stored`)."""
    track_id, steps = UUID(key), tuple(Step(*step) for step in stored["steps"])
    if stored["kind"] == Placement.kind:
        return Placement(track_id, steps, UUID(stored["facility"]))
    return _KINDS[stored["kind"]](track_id, steps)
