"""What the records answer (a participant, an episode, a history page), as typed models.

Like api/answers.py: documented with examples, open to fields added later. Every id is a
dashed UUID; a request id is text as the client sent it (X-Request-ID) or the server made it.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from pydantic import Field

from api.answers import EPISODE, EVENT, PARTICIPANT, PROGRAM, Moment, ReadAnswer, documented

TRACK = "7df4eaa8-5d99-4bbe-af99-428927db7a55"


class ParticipantAnswer(ReadAnswer):
    """A participant's state; personal data as need to know allows (masked `***` otherwise)."""

    model_config = documented(
        {
            "id": PARTICIPANT,
            "version": 3,
            "target_groups": ["orphan_care_leaver"],
            "settlement": "Kopeysk",
            "birth_year": 2003,
            "prior_residence": "orphan_care",
            "consents": ["services"],
            "episodes": {PROGRAM: [EPISODE]},
            "erased": False,
            "personal_data": {"full_name": "***", "snils": "***"},
            "position": 462,
        }
    )

    id: UUID
    version: int
    target_groups: list[str]
    settlement: str | None
    birth_year: int | None
    prior_residence: str | None
    consents: list[str]
    episodes: dict[UUID, list[UUID]] = Field(
        description="Program id -> the person's episodes in it (programs you may read)"
    )
    erased: bool
    personal_data: dict[str, Any] | None = Field(
        description="The fields recorded (values `***` unless you need to know),"
        ' `{"erased": true}` after an erasure, or null if none were recorded'
    )
    position: int


class EpisodeItem(ReadAnswer):
    """A referral, placement, course or job of an episode (its id is the track's)."""

    id: UUID
    kind: str
    status: str
    since: date
    updated_on: date


class EpisodeAnswer(ReadAnswer):
    """An episode's state: caseworker, dates, and each referral, placement, course and job."""

    model_config = documented(
        {
            "id": EPISODE,
            "version": 32,
            "participant_id": PARTICIPANT,
            "program_id": PROGRAM,
            "caseworker": "caseworker-2",
            "referral_source": "self",
            "opened_on": "2025-05-06",
            "closed_on": None,
            "items": [
                {
                    "id": TRACK,
                    "kind": "referral",
                    "status": "completed",
                    "since": "2025-05-09",
                    "updated_on": "2025-06-05",
                }
            ],
            "entries": 31,
            "voided_entries": 0,
            "position": 462,
        }
    )

    id: UUID
    version: int
    participant_id: UUID
    program_id: UUID
    caseworker: str
    referral_source: str | None
    opened_on: date
    closed_on: date | None
    items: list[EpisodeItem]
    entries: int
    voided_entries: int
    on: date | None = Field(None, description="The day the state is effective on, if asked")
    position: int


class HistoryLine(ReadAnswer):
    """One event: what, when it happened, when recorded, by whom, why, and if voided."""

    event_id: UUID = Field(description="What voiding an episode's entry names")
    aggregate: str
    aggregate_id: UUID
    version: int
    type: str
    occurred_on: date
    recorded_at: Moment
    recorded_by: str | None
    recorded_role: str | None
    request_id: str | None
    reason: str | None
    voided: bool
    data: dict[str, Any] = Field(description="The event's facts; sealed ones `***` unless shown")


class HistoryPage(ReadAnswer):
    """A page of a history, in recorded order; `next_cursor` reads the next."""

    model_config = documented(
        {
            "items": [
                {
                    "event_id": EVENT,
                    "aggregate": "episode",
                    "aggregate_id": EPISODE,
                    "version": 2,
                    "type": "ServiceDelivered",
                    "occurred_on": "2025-05-07",
                    "recorded_at": "2025-05-07T09:12:00.120000+00:00",
                    "recorded_by": "caseworker-2",
                    "recorded_role": "caseworker",
                    "request_id": "37d251a2c6f63d14beb3236ebaec0ed7",
                    "reason": None,
                    "voided": False,
                    "data": {"kind": "home_care", "quantity": 1, "settlement": "Kopeysk"},
                }
            ],
            "next_cursor": None,
            "position": 462,
        }
    )

    items: list[HistoryLine]
    next_cursor: str | None
    position: int
