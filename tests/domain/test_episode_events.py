"""The episode's events keep the topics, names and fields they were stored under.

tests/compat/log.json holds events that the code before the redesign stored (its episode events
were nested in the `Episode`): each must read back as the class its topic names and be written
again to the very same bytes.
"""

from __future__ import annotations

import base64
import json
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic, resolve_topic

from domain import episode_events
from domain.episode import Episode
from domain.tracks import Course, Job, Placement, Referral, Track
from store.sealing import MemoryKeyRing, SealingMapper
from store.transcoding import ledger_transcoder
from tests.domain.given import job_started_at_version_1
from tests.domain.test_episode_snapshots import mapper

LOG = Path(__file__).parents[1] / "compat" / "log.json"
NAMES = [
    "Opened",
    "CaseworkerAssigned",
    "AssessmentRecorded",
    "PlanAgreed",
    "ReferralMade",
    "ReferralAccepted",
    "ReferralDeclined",
    "ReferralCompleted",
    "PlacementStarted",
    "PlacementEnded",
    "CourseRequested",
    "CourseEnrolled",
    "CourseCompleted",
    "CourseDropped",
    "JobStarted",
    "JobEnded",
    "ServiceDelivered",
    "MentorAssigned",
    "EntryVoided",
    "Closed",
]


UPCAST = {"MentorAssigned": 2, "JobStarted": 2}


def stored_episode_events() -> list[StoredEvent]:
    rows = json.loads(LOG.read_text())["events"]
    return [
        StoredEvent(UUID(oid), version, topic, base64.b64decode(state))
        for _, oid, version, topic, state in rows
        if topic.startswith("ledger:Episode.")
    ]


@pytest.mark.parametrize("name", NAMES)
def test_each_event_is_named_on_the_episode_under_its_stored_topic(name: str) -> None:
    event_class = getattr(Episode, name)
    assert event_class is getattr(episode_events, name)
    assert event_class.__name__ == name  # what history shows as the entry's type
    assert get_topic(event_class) == f"ledger:Episode.{name}"
    assert resolve_topic(f"ledger:Episode.{name}") is event_class
    # A mentor became a person the ledger knows in issue 19, and a job gained its hours a week
    # in issue 21: version 1 events are upcast.
    assert getattr(event_class, "class_version", 1) == UPCAST.get(name, 1)


def test_the_stored_log_has_every_episode_event_and_no_other() -> None:
    assert {event.topic for event in stored_episode_events()} == {
        f"ledger:Episode.{name}" for name in NAMES
    }


def test_events_stored_before_read_as_their_class_and_write_back_to_the_same_bytes() -> None:
    for stored in stored_episode_events():
        event = mapper().to_domain_event(stored)
        assert type(event) is getattr(Episode, stored.topic.removeprefix("ledger:Episode."))
        if type(event).__name__ in UPCAST:
            continue  # read as the new version (below): written back, it is the new one
        fields = [
            name for name in vars(event) if name not in ("originator_id", "originator_version")
        ]
        assert list(json.loads(stored.state)) == fields
        assert mapper().to_stored_event(event) == stored


@pytest.mark.parametrize("kind", [Referral, Placement, Course, Job])
def test_every_move_a_track_allows_has_the_one_event_that_records_it(kind: type[Track]) -> None:
    allowed = {(kind, to) for targets in kind.moves.values() for to in targets}
    recorded = {key for key in episode_events.MOVES if key[0] is kind}
    assert recorded == allowed
    for key in allowed:
        assert (episode_events.MOVES[key].track, episode_events.MOVES[key].status) == key


def test_a_mentor_stored_as_free_text_reads_as_a_member_of_staff() -> None:
    [stored] = [e for e in stored_episode_events() if e.topic.endswith(".MentorAssigned")]
    event = mapper().to_domain_event(stored)
    assert json.loads(stored.state)["mentor_ref"] == "volunteer-17"
    assert (event.mentor_staff, event.mentor_participant_id) == ("volunteer-17", None)


def ledger_mapper() -> Mapper[UUID]:
    """The mapper the ledger stores with: it seals personal facts, then defers to the library."""
    return SealingMapper(ledger_transcoder(), MemoryKeyRing())


def test_the_jobs_stored_before_read_with_their_hours_not_recorded() -> None:
    stored = [e for e in stored_episode_events() if e.topic.endswith(".JobStarted")]
    assert len(stored) == 2
    for row in stored:
        event = ledger_mapper().to_domain_event(row)
        assert "hours_per_week" not in json.loads(row.state)
        assert event.hours_per_week is None
        assert (event.employment, event.occupation) == tuple(
            json.loads(row.state)[k] for k in ("employment", "occupation")
        )


@pytest.mark.parametrize("class_version", [None, 1])
def test_a_job_stored_at_version_1_reads_as_version_2_through_the_ledgers_mapper(
    class_version: int | None,
) -> None:
    job, episode = UUID(int=7), UUID(int=8)
    state = job_started_at_version_1(job, date(2025, 7, 5), class_version)
    event = ledger_mapper().to_domain_event(
        StoredEvent(episode, 19, "ledger:Episode.JobStarted", state)
    )
    assert type(event) is Episode.JobStarted
    assert (event.job_id, event.occupation, event.hours_per_week) == (job, "baker", None)
    assert "class_version" not in vars(event)


def test_a_job_is_stored_at_version_2_with_its_hours_and_reads_back_the_same() -> None:
    job, episode = UUID(int=7), UUID(int=8)
    v1 = ledger_mapper().to_domain_event(
        StoredEvent(
            episode,
            19,
            "ledger:Episode.JobStarted",
            job_started_at_version_1(job, date(2025, 7, 5)),
        )
    )
    for hours in (20, None):
        event = Episode.JobStarted(**{**vars(v1), "hours_per_week": hours})
        stored = ledger_mapper().to_stored_event(event)
        written = json.loads(stored.state)
        assert (written["class_version"], written["hours_per_week"]) == (2, hours)
        assert vars(ledger_mapper().to_domain_event(stored)) == vars(event)
