"""An episode as it stood on a day: the state its facts effective by then give.

A pure fold over the episode's events (as many of them as were known at the moment asked about),
beside the aggregate rather than in it: the aggregate's own state, and its snapshots, stay what
the whole history gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from domain.episode import Episode
from domain.episode_events import TrackStep
from domain.tracks import entry_id


def episode_on(history: Sequence[Any], on: date) -> Episode | None:
    """The episode effective on `on`, from its events in order; None if it had not opened yet.

    Only facts effective by that day count (`occurred_on <= on`): the caseworker assigned by
    then, the steps taken, a closure. An entry voided in `history` never happened, whatever day
    the voiding was recorded: a voiding has no effective date of its own. If the entry was dated
    by that day it is counted in `entry_count` and listed in `voided`, as the aggregate does.
    """
    if not history or not isinstance(history[0], Episode.Opened) or history[0].occurred_on > on:
        return None
    episode_id = history[0].originator_id
    voided = {event.event_id for event in history if isinstance(event, Episode.EntryVoided)}
    episode = history[0].mutate(None)
    if not isinstance(episode, Episode):  # an Opened event always makes one
        return None
    for event in history[1:]:
        if isinstance(event, Episode.EntryVoided) or event.occurred_on > on:
            continue
        if entry_id(episode_id, event.originator_version) in voided:
            # Counted as recorded and voided, as the aggregate counts it; its effect is skipped.
            episode.entry_count += 1
            episode.voided.append(event.originator_version)
            continue
        if isinstance(event, TrackStep) and _continues_a_missing_track(episode, event):
            continue
        event.apply(episode)
    return episode


def _continues_a_missing_track(episode: Episode, event: TrackStep) -> bool:
    # Steps of a track are dated in order, so a later step never outlives its first one here;
    # this guard keeps an odd history from failing the fold instead of answering.
    if event.status == event.track.first:
        return False
    track_id = next(
        getattr(event, name)
        for name in ("referral_id", "placement_id", "course_id", "job_id")
        if hasattr(event, name)
    )
    return track_id not in episode.tracks
