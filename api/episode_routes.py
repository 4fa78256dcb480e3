"""Episodes: their state and full history, now or as known at a moment."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request

from api import history, policy
from api.auth import Principal
from api.deps import authenticate, components
from api.history import HistoryCursor, Stream
from api.problems import PROBLEMS
from api.read_params import KnownAt, Limit
from api.record_answers import EpisodeAnswer, HistoryPage
from domain.episode import Episode


def router() -> APIRouter:
    episodes = APIRouter(tags=["records"], responses=PROBLEMS)

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
        known_at: KnownAt = None,
    ) -> dict[str, Any]:
        """An episode's state: caseworker, dates, and each referral, placement, course and job."""
        ledger = components(request).ledger
        current = _episode(ledger, principal, episode_id, known_at)
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
            "version": current.version,
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
