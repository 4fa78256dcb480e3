"""Episodes: their state and full history, now or as known at a moment."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request

from api import history, policy
from api.auth import Principal
from api.bodies import Day
from api.deps import authenticate, components
from api.history import HistoryCursor, Stream
from api.problems import PROBLEMS, ProblemError
from api.read_params import KnownAt, Limit
from domain.episode import Episode
from domain.episode_on import episode_on


def router() -> APIRouter:
    episodes = APIRouter(tags=["records"], responses=PROBLEMS)

    @episodes.get("/v1/episodes/{episode_id}", operation_id="get_episode")
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

    @episodes.get("/v1/episodes/{episode_id}/history", operation_id="episode_history")
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
