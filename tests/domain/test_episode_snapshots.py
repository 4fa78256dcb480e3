"""Episode snapshots: one written before tracks became values reads and decides the same, and
snapshots are still written in that shape (snapshots are taken every 250 events)."""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    Mapper,
    StoredEvent,
    UUIDAsHex,
)

from domain.episode import EntryNotVoidableError, Episode
from domain.tracks import (
    CourseNotEnrolledError,
    PlacementOpenError,
    TransitionNotAllowedError,
    entry_id,
)
from store.transcoding import DateAsISO, LedgerTranscoder
from tests.domain.given import (
    CASEWORKER,
    TODAY,
    a_facility,
    a_participant,
    a_program,
    job_started_at_version_1,
    replayed,
    then_events,
    then_refused,
)

EPISODE = UUID("066906d3-633c-473a-a1b6-b45d2d76690c")
FACILITY = UUID("fe7e3d4a-4894-4c17-8772-8fc1e100e703")
R1, R2 = UUID("5e1d0000-0000-4000-8000-0000000000b1"), UUID("5e1d0000-0000-4000-8000-0000000000b2")
PL1, PL2 = (
    UUID("5e1d0000-0000-4000-8000-0000000000c1"),
    UUID("5e1d0000-0000-4000-8000-0000000000c2"),
)
C1, C2 = UUID("5e1d0000-0000-4000-8000-0000000000d1"), UUID("5e1d0000-0000-4000-8000-0000000000d2")
J1 = UUID("5e1d0000-0000-4000-8000-0000000000e1")
MAR2 = date(2024, 3, 2)

# The stored state (JSON, as loaded) of the snapshot that the code at 5c1a3be, where tracks were
# dicts of lists, wrote of this episode at version 22, made by these commands in order:
# assessment, plan, 2 services, referral R1 made and accepted, R2 made and declined, placement
# PL1 started and ended, PL2 started, course C1 requested and enrolled, C2 requested and
# enrolled, C2's enrolment voided, job J1 started, a mentor, the second service voided, a
# caseworker assigned, a service.
STORED_BEFORE: dict[str, Any] = {
    "timestamp": {"_type_": "datetime_iso", "_data_": "2026-12-02T07:22:57.715414+00:00"},
    "topic": "ledger:Episode",
    "state": {
        "_created_on": {"_type_": "datetime_iso", "_data_": "2026-12-02T07:22:57.714473+00:00"},
        "_modified_on": {"_type_": "datetime_iso", "_data_": "2026-12-02T07:22:57.715267+00:00"},
        "participant_id": {"_type_": "uuid_hex", "_data_": "1ec98e375cf44ba985c7830b889262b2"},
        "program_id": {"_type_": "uuid_hex", "_data_": "215169e243f350c4a5eeae5129360613"},
        "caseworker": "cw-9",
        "referral_source": "self",
        "opened_on": {"_type_": "date_iso", "_data_": "2024-02-01"},
        "closed_on": None,
        "latest_on": {"_type_": "date_iso", "_data_": "2024-03-01"},
        "tracks": {
            "5e1d00000000400080000000000000b1": {
                "kind": "referral",
                "steps": [
                    [6, "made", {"_type_": "date_iso", "_data_": "2024-02-07"}],
                    [7, "accepted", {"_type_": "date_iso", "_data_": "2024-02-08"}],
                ],
            },
            "5e1d00000000400080000000000000b2": {
                "kind": "referral",
                "steps": [
                    [8, "made", {"_type_": "date_iso", "_data_": "2024-02-09"}],
                    [9, "declined", {"_type_": "date_iso", "_data_": "2024-02-10"}],
                ],
            },
            "5e1d00000000400080000000000000c1": {
                "kind": "placement",
                "steps": [
                    [10, "started", {"_type_": "date_iso", "_data_": "2024-02-11"}],
                    [11, "ended", {"_type_": "date_iso", "_data_": "2024-02-20"}],
                ],
                "facility": "fe7e3d4a48944c1787728fc1e100e703",
            },
            "5e1d00000000400080000000000000c2": {
                "kind": "placement",
                "steps": [[12, "started", {"_type_": "date_iso", "_data_": "2024-02-21"}]],
                "facility": "fe7e3d4a48944c1787728fc1e100e703",
            },
            "5e1d00000000400080000000000000d1": {
                "kind": "course",
                "steps": [
                    [13, "requested", {"_type_": "date_iso", "_data_": "2024-02-22"}],
                    [14, "enrolled", {"_type_": "date_iso", "_data_": "2024-02-23"}],
                ],
            },
            "5e1d00000000400080000000000000d2": {
                "kind": "course",
                "steps": [[15, "requested", {"_type_": "date_iso", "_data_": "2024-02-24"}]],
            },
            "5e1d00000000400080000000000000e1": {
                "kind": "job",
                "steps": [[18, "started", {"_type_": "date_iso", "_data_": "2024-02-26"}]],
            },
        },
        "standalone": [2, 3, 4, 19, 22],
        "voided": [16, 5],
        "entry_count": 18,
    },
}


def mapper() -> Mapper[UUID]:
    """The ledger's way of turning stored state into events and back."""
    transcoder = LedgerTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO()):
        transcoder.register(transcoding)
    return Mapper(transcoder)


def restored(state: dict[str, Any], version: int = 22, episode_id: UUID = EPISODE) -> Episode:
    stored = StoredEvent(episode_id, version, "ledger:Snapshot", json.dumps(state).encode())
    episode = mapper().to_domain_event(stored).mutate(None)
    assert isinstance(episode, Episode)
    return episode


def written(episode: Episode) -> dict[str, Any]:
    stored = mapper().to_stored_event(Episode.Snapshot.take(episode))
    assert stored.topic == "ledger:Snapshot"
    loaded: dict[str, Any] = json.loads(stored.state)
    return loaded


def test_a_snapshot_from_before_tracks_were_values_reads_the_same() -> None:
    episode = restored(STORED_BEFORE)
    assert (episode.version, episode.caseworker, episode.latest_on) == (
        22,
        "cw-9",
        date(2024, 3, 1),
    )
    assert (episode.entry_count, episode.standalone, episode.voided) == (
        18,
        [2, 3, 4, 19, 22],
        [16, 5],
    )
    assert [
        (track.id, track.kind, track.status, track.started_on.day, track.updated_on.day)
        for track in episode.tracks.values()
    ] == [
        (R1, "referral", "accepted", 7, 8),
        (R2, "referral", "declined", 9, 10),
        (PL1, "placement", "ended", 11, 20),
        (PL2, "placement", "started", 21, 21),
        (C1, "course", "enrolled", 22, 23),
        (C2, "course", "requested", 24, 24),
        (J1, "job", "started", 26, 26),
    ]
    assert episode.placement_facility(PL2) == FACILITY
    assert episode.is_voided(entry_id(EPISODE, 5))
    assert episode.find_entry(entry_id(EPISODE, 16)) is None
    assert episode.find_entry(entry_id(EPISODE, 15)) == (15, C2)
    assert episode.find_entry(entry_id(EPISODE, 19)) == (19, None)


def test_a_snapshot_from_before_tracks_were_values_takes_commands_as_before() -> None:
    episode = restored(STORED_BEFORE)
    then_refused(
        TransitionNotAllowedError,
        episode,
        lambda: episode.answer_referral(R2, "accepted", "", MAR2, CASEWORKER, TODAY),
    )
    then_refused(
        CourseNotEnrolledError,
        episode,
        lambda: episode.advance_course(C2, "completed", "", MAR2, CASEWORKER, TODAY),
    )
    course_step_with_a_later_one, placement = entry_id(EPISODE, 13), entry_id(EPISODE, 12)
    then_refused(
        EntryNotVoidableError,
        episode,
        lambda: episode.void_entry(course_step_with_a_later_one, "x", CASEWORKER, TODAY),
    )
    then_refused(
        EntryNotVoidableError,
        episode,
        lambda: episode.void_entry(placement, "x", CASEWORKER, TODAY),
    )
    then_refused(
        PlacementOpenError,
        episode,
        lambda: episode.close("goals_achieved", "own_home", MAR2, CASEWORKER, TODAY),
    )
    then_refused(
        PlacementOpenError,
        episode,
        lambda: episode.start_placement(a_facility(), PL1, MAR2, CASEWORKER, TODAY),
    )
    events = then_events(
        episode,
        lambda: (
            episode.answer_referral(R1, "completed", "", MAR2, CASEWORKER, TODAY),
            episode.advance_course(C1, "completed", "", MAR2, CASEWORKER, TODAY),
            episode.end_job(J1, "contract ended", MAR2, CASEWORKER, TODAY),
            episode.void_entry(entry_id(EPISODE, 22), "wrong day", CASEWORKER, TODAY),
            episode.deliver_service("transport", 1, "Bredy", MAR2, CASEWORKER, TODAY),
        ),
    )
    assert [e.originator_version for e in events] == [23, 24, 25, 26, 27]
    assert [episode.tracks[t].status for t in (R1, C1, J1)] == ["completed", "completed", "ended"]
    assert (episode.entry_count, episode.standalone, episode.voided) == (
        22,
        [2, 3, 4, 19, 27],
        [16, 5, 22],
    )


def test_episode_snapshots_are_written_in_the_shape_they_had_before() -> None:
    rewritten = written(restored(STORED_BEFORE))
    assert rewritten["timestamp"] != STORED_BEFORE["timestamp"]
    # Same keys in the same order, same values: the same bytes once the timestamp is set aside.
    assert json.dumps(rewritten["state"]) == json.dumps(STORED_BEFORE["state"])
    assert rewritten["topic"] == STORED_BEFORE["topic"]


def test_a_snapshot_from_before_jobs_had_hours_goes_on_with_a_job_stored_without_them() -> None:
    """A snapshot keeps the episode's state, not its events' facts: a job's hours are not in it,
    so JobStarted's version 2 leaves snapshots as they were (the episode's own class_version is
    about the shape of its tracks)."""
    episode = restored(STORED_BEFORE)
    old_job, new_job = UUID(int=23), UUID(int=24)
    stored = StoredEvent(
        EPISODE, 23, "ledger:Episode.JobStarted", job_started_at_version_1(old_job, MAR2)
    )
    job = mapper().to_domain_event(stored)
    episode = job.mutate(episode)
    assert (job.hours_per_week, episode.tracks[old_job].status) == (None, "started")
    ended, started = then_events(
        episode,
        lambda: (
            episode.end_job(old_job, "seasonal", MAR2, CASEWORKER, TODAY),
            episode.start_job(new_job, "open_market", "cook", MAR2, CASEWORKER, TODAY, 36),
        ),
    )
    assert (ended.originator_version, started.hours_per_week) == (24, 36)
    state = written(episode)["state"]
    assert state["tracks"][new_job.hex] == {
        "kind": "job",
        "steps": [[25, "started", {"_type_": "date_iso", "_data_": "2024-03-02"}]],
    }
    assert "class_version" not in state


def test_an_episode_read_from_its_snapshot_equals_the_episode_replayed_from_its_events() -> None:
    episode = Episode.open(
        participant=a_participant(),
        program=a_program(),
        caseworker="cw-7",
        referral_source="self",
        occurred_on=date(2024, 2, 1),
        by=CASEWORKER,
        today=TODAY,
    )
    facility = a_facility()
    on = date(2024, 2, 10)
    episode.make_referral(R1, "lawyer", on, CASEWORKER, TODAY)
    episode.answer_referral(R1, "accepted", "", on, CASEWORKER, TODAY)
    episode.start_placement(facility, PL1, on, CASEWORKER, TODAY)
    episode.request_course(C1, "Cook", 36, "in_person", on, CASEWORKER, TODAY)
    episode.advance_course(C1, "enrolled", "", on, CASEWORKER, TODAY)
    episode.void_entry(entry_id(episode.id, episode.version), "entered twice", CASEWORKER, TODAY)
    episode.start_job(J1, "open_market", "cook", on, CASEWORKER, TODAY)
    episode.deliver_service("transport", 1, "Bredy", on, CASEWORKER, TODAY)
    events = list(episode.collect_events())
    from_events = replayed(episode, events)
    from_snapshot = restored(written(from_events), from_events.version, from_events.id)
    assert vars(from_snapshot) == vars(from_events)
    assert from_snapshot.placement_facility(PL1) == facility.id


def test_a_copy_of_an_episode_changes_apart_from_it() -> None:
    episode = restored(STORED_BEFORE)
    kept = copy.deepcopy(episode)
    episode.answer_referral(R1, "completed", "", MAR2, CASEWORKER, TODAY)
    episode.void_entry(entry_id(EPISODE, 22), "wrong day", CASEWORKER, TODAY)
    assert (kept.version, kept.tracks[R1].status, kept.standalone[-1]) == (22, "accepted", 22)
    assert kept.collect_events() == []
    assert vars(copy.deepcopy(kept)) == vars(restored(STORED_BEFORE))
