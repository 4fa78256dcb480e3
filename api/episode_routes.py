"""Episodes: their state and full history, now or as known at a moment."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import ConfigDict, Field

from api import history, policy
from api.answers import ReadAnswer
from api.auth import Principal
from api.bodies import Day
from api.deps import authenticate, components
from api.history import HistoryCursor, Stream
from api.model_reads import MinPosition, reading_of
from api.problems import PROBLEMS, ProblemError
from api.read_params import (
    Cursor,
    KnownAt,
    Limit,
    ProgramRefOrAll,
    cursor_at,
    known_program,
    offset_of,
    program_id_of,
)
from api.record_answers import EpisodeAnswer, HistoryPage
from domain.episode import Episode
from domain.episode_on import episode_on
from projections.directory import EpisodeFilter


class EpisodeSummary(ReadAnswer):
    """An episode as listed: its program, participant, caseworker now, and its dates."""

    id: UUID
    program_id: UUID
    participant_id: UUID
    caseworker: str
    opened_on: date
    closed_on: date | None


class EpisodeList(ReadAnswer):
    """A page of episodes, in the order they were recorded."""

    episodes: list[EpisodeSummary]
    next_cursor: str | None = Field(description="The cursor of the next page; none: the last")
    position: int = Field(description="The log position the list reflects")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "episodes": [
                        {
                            "id": "6f1c2a34-0d5e-4b8a-9c1f-2e3d4c5b6a70",
                            "program_id": "215169e2-43f3-50c4-a5ee-ae5129360613",
                            "participant_id": "1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d",
                            "caseworker": "cw-7",
                            "opened_on": "2024-03-01",
                            "closed_on": None,
                        }
                    ],
                    "next_cursor": "MTAw",
                    "position": 42,
                }
            ]
        }
    )


def episode_page(
    request: Request, which: EpisodeFilter, limit: int, cursor: str | None, min_position: int | None
) -> EpisodeList:
    """The page of the directory's episodes that `which` selects and the cursor names."""
    offset = offset_of(cursor)
    model, opening = reading_of(request, "directory", min_position)
    with opening as reading:
        found = model.episodes(reading, which, offset, limit + 1)  # type: ignore[attr-defined]
    return EpisodeList(
        episodes=[
            EpisodeSummary(
                id=UUID(e.episode_id),
                program_id=UUID(e.program_id),
                participant_id=UUID(e.participant_id),
                caseworker=e.caseworker,
                opened_on=e.opened_on,
                closed_on=e.closed_on,
            )
            for e in found[:limit]
        ],
        next_cursor=cursor_at(offset + limit) if len(found) > limit else None,
        position=reading.position,
    )


def router() -> APIRouter:
    episodes = APIRouter(tags=["records"], responses=PROBLEMS)

    @episodes.get("/v1/episodes", operation_id="list_episodes", response_model=EpisodeList)
    def list_episodes(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        program: ProgramRefOrAll = None,
        caseworker: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
        status: Literal["open", "closed"] | None = None,
        participant: UUID | None = None,
        min_position: MinPosition = None,
        limit: Limit = 100,
        cursor: Cursor = None,
    ) -> EpisodeList:
        """Episodes of the programs you may read, by program, caseworker, status and participant,
        in the order recorded."""
        program_id = None if program is None else program_id_of(program)
        readable = policy.check_episode_list(principal, program_id)
        if program is not None:
            known_program(components(request).ledger, program)
        which = EpisodeFilter(
            programs=readable if program_id is None else {program_id},
            caseworker=caseworker,
            participant=participant,
            status=status,
        )
        return episode_page(request, which, limit, cursor, min_position)

    @episodes.get(
        "/v1/episodes/{episode_id}",
        operation_id="get_episode",
        response_model=EpisodeAnswer,
        response_model_exclude_unset=True,
    )
    def episode(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        episode_id: UUID,
        on: Annotated[
            Day | None, Query(description="Answer the state effective on this day (YYYY-MM-DD)")
        ] = None,
        known_at: KnownAt = None,
    ) -> dict[str, Any]:
        """An episode's state: caseworker, dates, and each referral, placement, course and job;
        `on` gives the state effective on a day (its caseworker and items of that day), from
        what was recorded by `known_at` (now if left out)."""
        ledger = components(request).ledger
        current = _episode(ledger, principal, episode_id, known_at)
        version = current.version
        if on is not None:
            effective = episode_on(ledger.recorded_events(episode_id, known_at), on)
            if effective is None:
                raise ProblemError(
                    404,
                    "not_yet_opened",
                    f"episode {episode_id} had not opened on {on}",
                    f"it opened on {current.opened_on}: ask for a day from then on",
                )
            current = effective
        items = [
            {
                "id": str(track.id),
                "kind": track.kind,
                "status": track.status,
                "since": track.started_on.isoformat(),
                "updated_on": track.updated_on.isoformat(),
            }
            for track in current.tracks.values()
        ]
        return {
            "id": str(episode_id),
            "on": on,
            "version": version,
            "participant_id": str(current.participant_id),
            "program_id": str(current.program_id),
            "caseworker": current.caseworker,
            "referral_source": current.referral_source,
            "opened_on": current.opened_on.isoformat(),
            "closed_on": current.closed_on.isoformat() if current.closed_on else None,
            "items": items,
            "entries": current.entry_count,
            "voided_entries": len(current.voided),
            "position": ledger.recorder.max_notification_id() or 0,
        }

    @episodes.get(
        "/v1/episodes/{episode_id}/history",
        operation_id="episode_history",
        response_model=HistoryPage,
        response_model_exclude_unset=True,
    )
    def episode_history(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        episode_id: UUID,
        known_at: KnownAt = None,
        limit: Limit = 100,
        cursor: HistoryCursor = None,
    ) -> dict[str, Any]:
        """Every event of the episode, voided entries marked."""
        ledger = components(request).ledger
        current = _episode(ledger, principal, episode_id, known_at)
        voided = list(current.voided)
        return history.page(
            ledger, episode_id, [Stream("episode", episode_id, voided=lambda: voided)],
            known_at=known_at, limit=limit, cursor=cursor, personal=False,
        )  # fmt: skip

    return episodes


def _episode(
    ledger: Any, principal: Principal, episode_id: UUID, known_at: datetime | None
) -> Episode:
    """The episode as known at the moment, if the caller may read its program."""
    policy.check_record_reader(principal)
    episode: Episode = ledger.load_as_known(Episode, episode_id, known_at)
    policy.check_episode(principal, episode)
    return episode
