"""The lives of referrals, placements, courses and jobs inside an episode, and how they may move.

A track is kept as plain data (dicts and lists) so that episode snapshots stay JSON.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any
from uuid import UUID, uuid5

from domain.base import DomainError, NotFoundError, check_occurred_on

REFERRAL, PLACEMENT, COURSE, JOB = "referral", "placement", "course", "job"

# kind -> current status -> the statuses it may move to.
TRANSITIONS: dict[str, dict[str, set[str]]] = {
    REFERRAL: {"made": {"accepted", "declined"}, "accepted": {"completed"}},
    PLACEMENT: {"started": {"ended"}},
    COURSE: {"requested": {"enrolled", "dropped"}, "enrolled": {"completed", "dropped"}},
    JOB: {"started": {"ended"}},
}


class TransitionNotAllowedError(DomainError):
    """The entry is not in a state that allows this step (e.g. accepting a declined referral)."""

    rule = "transition_not_allowed"


class CourseNotEnrolledError(TransitionNotAllowedError):
    """A course can only be completed after enrolment."""

    rule = "course_completion_requires_enrolment"


class ReferralNotAcceptedError(TransitionNotAllowedError):
    """A referral can only be completed after it was accepted."""

    rule = "referral_completion_requires_acceptance"


_SPECIFIC_ERRORS: dict[tuple[str, str], type[TransitionNotAllowedError]] = {
    (COURSE, "completed"): CourseNotEnrolledError,
    (REFERRAL, "completed"): ReferralNotAcceptedError,
}


@lru_cache(maxsize=1 << 16)  # read models and episodes ask again for the ids of recent events
def entry_id(episode_id: UUID, version: int) -> UUID:
    """The id of an episode's event, derived from its place in the stream: stable and unique."""
    return uuid5(episode_id, str(version))


def status(track: dict[str, Any]) -> str:
    return str(track["steps"][-1][1])


def started_on(track: dict[str, Any]) -> date:
    day: date = track["steps"][0][2]
    return day


def last_step_on(track: dict[str, Any]) -> date:
    day: date = track["steps"][-1][2]
    return day


def check_step(
    tracks: dict[str, dict[str, Any]],
    kind: str,
    track_id: UUID,
    new_status: str,
    occurred_on: date,
    today: date,
) -> None:
    """Refuse a step that the track's current status or dates do not allow."""
    track = tracks.get(track_id.hex)
    if track is None or track["kind"] != kind:
        raise NotFoundError(f"no {kind} {track_id} in this episode")
    current = status(track)
    if new_status not in TRANSITIONS[kind].get(current, set()):
        error = _SPECIFIC_ERRORS.get((kind, new_status), TransitionNotAllowedError)
        raise error(f"{kind} {track_id} is {current}; it cannot become {new_status}")
    check_occurred_on(occurred_on, today, not_before=last_step_on(track))


def open_placement(tracks: dict[str, dict[str, Any]], on_or_after: date) -> str | None:
    """The placement of this episode that still holds a bed on or after the given day, if any."""
    for track_id, track in tracks.items():
        if track["kind"] != PLACEMENT:
            continue
        if status(track) == "started" or last_step_on(track) > on_or_after:
            return track_id
    return None
