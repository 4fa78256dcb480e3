"""An episode effective on a day, folded from its events: what stood then, nothing later."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.episode import Episode
from domain.episode_on import episode_on
from domain.tracks import entry_id
from tests.domain.given import CASEWORKER, TODAY, a_participant, a_program, new_id

FEB = date(2024, 2, 1)


def a_history() -> tuple[Episode, list[Any], Any, Any]:
    episode = Episode.open(
        participant=a_participant(),
        program=a_program(),
        caseworker="cw-7",
        referral_source="self",
        occurred_on=FEB,
        by=CASEWORKER,
        today=TODAY,
    )
    course, referral = new_id(), new_id()
    episode.assign_caseworker("curator-anna", date(2024, 3, 1), CASEWORKER, TODAY)
    episode.request_course(course, "Cook", 16, "mixed", date(2024, 3, 5), CASEWORKER, TODAY)
    episode.advance_course(course, "enrolled", "", date(2024, 4, 1), CASEWORKER, TODAY)
    episode.make_referral(referral, "lawyer", date(2024, 3, 10), CASEWORKER, TODAY)
    episode.void_entry(entry_id(episode.id, episode.version), "wrong person", CASEWORKER, TODAY)
    episode.close("goals_achieved", "own_home", date(2024, 5, 1), CASEWORKER, TODAY)
    return episode, list(episode.collect_events()), course, referral


def test_the_caseworker_and_items_are_those_of_the_day() -> None:
    _, history, course, _ = a_history()

    march_4 = episode_on(history, date(2024, 3, 4))
    march_20 = episode_on(history, date(2024, 3, 20))
    april = episode_on(history, date(2024, 4, 1))
    assert march_4 is not None
    assert march_20 is not None
    assert april is not None

    assert episode_on(history, date(2024, 2, 29)) is not None
    assert (march_4.caseworker, list(march_4.tracks)) == ("curator-anna", [])
    assert [(t.id, t.status) for t in march_20.tracks.values()] == [(course, "requested")]
    assert [(t.id, t.status) for t in april.tracks.values()] == [(course, "enrolled")]
    assert (march_20.closed_on, april.closed_on) == (None, None)


def test_a_voided_entry_never_happened_on_any_day() -> None:
    _, history, _, referral = a_history()
    day = episode_on(history, date(2024, 3, 20))
    assert day is not None
    assert referral not in day.tracks
    assert (day.entry_count, len(day.voided)) == (2, 1)  # the course requested, the referral


def test_before_it_opened_there_is_no_episode_and_after_closing_it_is_closed() -> None:
    episode, history, _, _ = a_history()
    assert episode_on(history, date(2024, 1, 31)) is None
    assert episode_on([], date(2024, 3, 1)) is None
    closed = episode_on(history, date.max)
    assert closed is not None
    assert closed.closed_on == episode.closed_on == date(2024, 5, 1)
    # The whole history gives the aggregate's own state: the fold adds no meaning of its own.
    assert (closed.caseworker, list(closed.tracks), closed.entry_count) == (
        episode.caseworker,
        list(episode.tracks),
        episode.entry_count,
    )


def test_the_fold_leaves_the_aggregate_its_snapshots_read_untouched() -> None:
    episode, history, _, _ = a_history()
    before = (episode.version, episode.caseworker, dict(episode.tracks))
    episode_on(history, date(2024, 3, 4))
    assert (episode.version, episode.caseworker, dict(episode.tracks)) == before
