"""Track values: how referrals, placements, courses and jobs may move, and what voiding undoes."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from domain.base import DateOrderError
from domain.tracks import (
    Course,
    CourseNotEnrolledError,
    Job,
    Placement,
    Referral,
    ReferralNotAcceptedError,
    Step,
    Track,
    TransitionNotAllowedError,
    restored,
)

TODAY = date(2024, 6, 1)
MAR1, MAR2 = date(2024, 3, 1), date(2024, 3, 2)


def a_track(kind: type[Track], *statuses: str) -> Track:
    steps = tuple(Step(n, status, MAR1) for n, status in enumerate(statuses, start=2))
    if kind is Placement:
        return Placement(uuid4(), steps, uuid4())
    return kind(uuid4(), steps)


@pytest.mark.parametrize(
    ("track", "to"),
    [
        (a_track(Referral, "made"), "accepted"),
        (a_track(Referral, "made"), "declined"),
        (a_track(Referral, "made", "accepted"), "completed"),
        (a_track(Placement, "started"), "ended"),
        (a_track(Course, "requested"), "enrolled"),
        (a_track(Course, "requested"), "dropped"),
        (a_track(Course, "requested", "enrolled"), "completed"),
        (a_track(Course, "requested", "enrolled"), "dropped"),
        (a_track(Job, "started"), "ended"),
    ],
)
def test_a_track_moves_only_where_its_kind_allows(track: Track, to: str) -> None:
    track.check_move(to, MAR2, TODAY)
    moved = track.moved(Step(9, to, MAR2))
    assert (moved.status, moved.started_on, moved.updated_on) == (to, MAR1, MAR2)
    assert (type(moved), moved.id, track.status) == (type(track), track.id, track.steps[-1].status)


@pytest.mark.parametrize(
    ("track", "to", "error"),
    [
        (a_track(Referral, "made"), "completed", ReferralNotAcceptedError),
        (a_track(Referral, "made", "declined"), "accepted", TransitionNotAllowedError),
        (a_track(Course, "requested"), "completed", CourseNotEnrolledError),
        (a_track(Course, "requested", "dropped"), "completed", CourseNotEnrolledError),
        (
            a_track(Course, "requested", "enrolled", "completed"),
            "dropped",
            TransitionNotAllowedError,
        ),
        (a_track(Placement, "started", "ended"), "ended", TransitionNotAllowedError),
        (a_track(Job, "started", "ended"), "ended", TransitionNotAllowedError),
    ],
)
def test_a_track_refuses_a_move_its_status_does_not_allow(
    track: Track, to: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        track.check_move(to, MAR2, TODAY)


def test_a_step_is_not_dated_before_the_one_it_follows() -> None:
    with pytest.raises(DateOrderError):
        a_track(Job, "started").check_move("ended", date(2024, 2, 28), TODAY)


def test_undoing_the_latest_step_gives_back_the_track_before_it() -> None:
    course = a_track(Course, "requested", "enrolled")
    before = course.undone()
    assert before is not None
    assert (before.status, before.steps) == ("requested", course.steps[:1])
    assert before.undone() is None


def test_a_placement_holds_its_bed_until_the_day_it_ends() -> None:
    started = a_track(Placement, "started")
    assert isinstance(started, Placement)
    ended = started.moved(Step(3, "ended", date(2024, 4, 1)))
    assert started.holds_bed_after(date(2024, 12, 31))
    assert ended.holds_bed_after(date(2024, 3, 31))
    assert not ended.holds_bed_after(date(2024, 4, 1))


@pytest.mark.parametrize("kind", [Referral, Placement, Course, Job])
def test_a_track_reads_back_from_the_plain_data_a_snapshot_keeps(kind: type[Track]) -> None:
    track = a_track(kind, kind.first)
    assert restored(track.id.hex, track.stored()) == track
