"""History pages read only what they show, and paging gives every line once, in order."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from domain.base import Actor
from domain.commands import Context
from domain.episode import Episode
from domain.ledger import Ledger
from domain.personal_data import personal_data_id_for
from tests.api.conftest import OTHER, OWN, Api
from tests.api.world import day, episode, participant, program

CASEWORKER = Context(Actor("caseworker-1", "caseworker", "paging-test"))
INTERVAL = Ledger.snapshotting_intervals[Episode]


@contextmanager
def events_read(api: Api) -> Iterator[list[int]]:
    """Counts the stored events and snapshots the ledger reads, through its real recorders."""
    count = [0]
    recorders = [api.ledger.recorder]
    if api.ledger.snapshots is not None:
        recorders.append(api.ledger.snapshots.recorder)
    originals = [recorder.select_events for recorder in recorders]

    def counting(select: Any) -> Any:
        def select_events(*args: Any, **kwargs: Any) -> Any:
            rows = select(*args, **kwargs)
            count[0] += len(rows)
            return rows

        return select_events

    for recorder, select in zip(recorders, originals, strict=True):
        recorder.select_events = counting(select)
    try:
        yield count
    finally:
        for recorder, select in zip(recorders, originals, strict=True):
            recorder.select_events = select


def events_of(api: Api, stream: UUID) -> list[Any]:
    return list(api.ledger.recorder.select_events(stream))


def mentors(api: Api, episode_id: str, count: int) -> None:
    on = date.today() - timedelta(days=10)
    for n in range(count):
        api.ledger.assign_mentor(
            CASEWORKER, UUID(episode_id), mentor_staff=f"m-{n}", occurred_on=on
        )


def all_pages(
    api: Api, path: str, limit: int, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    """Every line of a history, page by page, each page full but the last."""
    lines: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        answer = api.http.get(path, params=query, headers=headers)
        assert answer.status_code == 200, answer.text
        lines += answer.json()["items"]
        cursor = answer.json()["next_cursor"]
        if cursor is None:
            return lines
        assert len(answer.json()["items"]) == limit


def test_a_page_of_one_over_a_long_stream_reads_a_bounded_number_of_events(api: Api) -> None:
    own = program(api, OWN)
    person = participant(api, [OWN])
    long = episode(api, person, own, [OWN])
    mentors(api, long, 3 * INTERVAL + 40)
    stream_length = len(api.ledger.recorder.select_events(UUID(long)))
    moment = datetime.now(UTC).isoformat()
    mentors(api, long, 5)
    assert stream_length > 3 * INTERVAL

    reads: dict[str, int] = {}
    for name, path, params in (
        ("episode", f"/v1/episodes/{long}/history", {}),
        ("episode as known", f"/v1/episodes/{long}/history", {"known_at": moment}),
        ("person", f"/v1/participants/{person}/history", {}),
        ("person as known", f"/v1/participants/{person}/history", {"known_at": moment}),
    ):
        first = api.get(path, limit=1, **params).json()
        with suppress(KeyError):  # read cold, as another process would
            api.ledger.repository.cache.get(UUID(long), evict=True)
        with events_read(api) as count:
            answer = api.get(path, limit=1, cursor=first["next_cursor"], **params)
        assert answer.status_code == 200, answer.text
        assert len(answer.json()["items"]) == 1
        reads[name] = count[0]

    # Loading the episode to check access reads its latest snapshot and what follows it (less
    # than one snapshot interval); finding a past version bisects; the page itself reads two.
    bound = INTERVAL + 2 * stream_length.bit_length() + 20
    assert all(read <= bound for read in reads.values()), (reads, bound, stream_length)


def test_paging_through_a_persons_history_gives_every_line_exactly_once_in_order(
    api: Api,
) -> None:
    own, other = program(api, OWN), program(api, OTHER)
    person = participant(api, [OWN, OTHER])
    first = episode(api, person, own, [OWN])
    mentors(api, first, 4)
    second = episode(api, person, other, [OWN, OTHER])
    mentors(api, second, 3)
    api.post(
        f"/v1/participants/{person}/personal-data/corrections",
        {"changes": {"phone": "+7 900 333"}, "reason": "new phone", "occurred_on": day(3)},
    )
    mentors(api, first, 2)
    mentors(api, second, 2)
    path = f"/v1/participants/{person}/history"
    both = api.as_("caseworker", [OWN, OTHER])
    whole = api.http.get(path, params={"limit": 500}, headers=both).json()["items"]
    streams = (UUID(person), personal_data_id_for(UUID(person)), UUID(first), UUID(second))
    stored = [(e.originator_id, e.originator_version) for s in streams for e in events_of(api, s)]
    assert sorted((UUID(i["aggregate_id"]), i["version"]) for i in whole) == sorted(stored)
    assert [line["recorded_at"] for line in whole] == sorted(line["recorded_at"] for line in whole)

    for limit in (1, 2, 3, 7):
        assert all_pages(api, path, limit, both) == whole, limit


def test_paging_gives_each_line_once_while_new_events_are_recorded(api: Api) -> None:
    own = program(api, OWN)
    person = participant(api, [OWN])
    only = episode(api, person, own, [OWN])
    mentors(api, only, 5)
    path = f"/v1/participants/{person}/history"

    seen: list[dict[str, Any]] = []
    answer = api.get(path, limit=3).json()
    while True:
        seen += answer["items"]
        mentors(api, only, 1)  # recorded between two pages
        if answer["next_cursor"] is None:
            break
        answer = api.get(path, limit=3, cursor=answer["next_cursor"]).json()

    ids = [line["event_id"] for line in seen]
    assert len(ids) == len(set(ids))
    assert seen == api.get(path, limit=500).json()["items"][: len(seen)]


def test_paging_a_filtered_history_as_known_at_a_moment_gives_what_was_known_once_each(
    api: Api,
) -> None:
    own, other = program(api, OWN), program(api, OTHER)
    person = participant(api, [OWN, OTHER])
    first = episode(api, person, own, [OWN])
    second = episode(api, person, other, [OWN, OTHER])
    mentors(api, second, 3)
    mentors(api, first, 3)
    moment = datetime.now(UTC).isoformat()
    mentors(api, first, 2)
    path = f"/v1/participants/{person}/history"
    headers = api.as_("caseworker", [OWN])

    whole = api.http.get(path, params={"limit": 500, "known_at": moment}, headers=headers).json()
    assert all(line["recorded_at"] <= moment for line in whole["items"])
    assert second not in str(whole)
    assert [line["type"] for line in whole["items"]].count("MentorAssigned") == 3
    for limit in (1, 2, 5):
        assert all_pages(api, path, limit, headers, known_at=moment) == whole["items"], limit


@pytest.mark.parametrize(
    "cursor",
    ["not-a-cursor", "MTIzNA", "", "x" * 1001, "²", "YWJjZGVmMDE6MS4yLjMuNC41LjYuNy44"],
)
def test_a_cursor_this_history_did_not_give_is_refused_as_a_problem(api: Api, cursor: str) -> None:
    own = program(api, OWN)
    person = participant(api, [OWN])
    episode(api, person, own, [OWN])
    other = participant(api, [OWN], name="Other Person")
    foreign = api.get(f"/v1/participants/{other}/history", limit=1).json()["next_cursor"]

    for bad in (cursor, foreign):
        answer = api.get(f"/v1/participants/{person}/history", limit=1, cursor=bad)
        assert answer.status_code in (400, 422), (bad, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"], answer.text
