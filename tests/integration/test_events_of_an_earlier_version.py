"""On each real store, events an earlier version of the code wrote load through the Ledger of
this one: a JobStarted stored before jobs had hours a week (version 1) reads as "not recorded",
beside new ones stored at version 2 with their hours, and its row is never rewritten."""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

from eventsourcing.persistence import StoredEvent

from domain.episode import Episode
from domain.ledger import Ledger
from tests.conftest_stores import LedgerFactory
from tests.domain.given import job_started_at_version_1
from tests.integration.scenario import CASEWORKER, MARCH, a_world


def _replayed(events: list[Any]) -> Episode:
    episode = None
    for event in events:
        episode = event.mutate(episode)
    assert isinstance(episode, Episode)
    return episode


def test_a_job_stored_at_version_1_loads_beside_a_new_one_with_its_hours(
    ledger: Ledger, new_ledger: LedgerFactory
) -> None:
    world = a_world(ledger)
    before = ledger.load(Episode, world.episode).version
    old_job = uuid4()
    # The row as the code before issue 21 stored it: its bytes, put by the recorder, no mapper.
    written_then = job_started_at_version_1(old_job, MARCH)
    ledger.recorder.insert_events(
        [StoredEvent(world.episode, before + 1, "ledger:Episode.JobStarted", written_then)]
    )

    upgraded = new_ledger()  # a process of this version, started after the row was written
    assert upgraded.load(Episode, world.episode).tracks[old_job].status == "started"
    [read] = upgraded.recorded_events(world.episode, after=before)
    assert (type(read), read.job_id, read.hours_per_week) == (Episode.JobStarted, old_job, None)
    upgraded.end_job(CASEWORKER, world.episode, old_job, reason="seasonal", occurred_on=MARCH)
    new_job = upgraded.start_job(
        CASEWORKER,
        world.episode,
        employment="open_market",
        occupation="cook",
        occurred_on=MARCH,
        hours_per_week=36,
    ).id

    reader = new_ledger()
    events = reader.recorded_events(world.episode)
    started = [(e.job_id, e.hours_per_week) for e in events if isinstance(e, Episode.JobStarted)]
    assert started == [(old_job, None), (new_job, 36)]
    rows = [
        row
        for row in reader.recorder.select_events(world.episode, gt=before)
        if row.topic == "ledger:Episode.JobStarted"
    ]
    assert rows[0].state == written_then
    assert [json.loads(row.state).get("class_version") for row in rows] == [None, 2]
    assert json.loads(rows[1].state)["hours_per_week"] == 36

    # A snapshot taken now holds no job's hours: loaded in a new process, it is the replay.
    reader.take_snapshot(world.episode)
    assert reader.snapshots is not None
    [snapshot] = reader.snapshots.get(world.episode)
    from_snapshot = new_ledger().load(Episode, world.episode)
    assert snapshot.originator_version == from_snapshot.version == len(events)
    assert vars(from_snapshot) == vars(_replayed(events))
    assert [from_snapshot.tracks[j].status for j in (old_job, new_job)] == ["ended", "started"]
