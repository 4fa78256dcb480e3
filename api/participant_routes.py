"""Participants: their state and full history, now or as known at a moment (every read recorded)."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request

from api import history, policy
from api.auth import Principal
from api.deps import authenticate, components, request_id
from api.episode_routes import EpisodeList, episode_page
from api.history import HistoryCursor, Stream, plain
from api.model_reads import MinPosition
from api.problems import PROBLEMS
from api.read_params import Cursor, KnownAt, Limit
from api.record_answers import HistoryPage, ParticipantAnswer
from domain.participant import Participant
from domain.personal_data import PersonalData, personal_data_id_for
from projections.directory import EpisodeFilter

Reason = Annotated[
    str | None,
    Query(
        min_length=3, max_length=500, description="Why you read it (recorded); unmasks for auditors"
    ),
]


def record_access(
    request: Request, principal: Principal, participant_id: UUID, what: str, unmasked: bool,
    reason: str | None,
) -> None:  # fmt: skip
    components(request).access_log.record(
        subject=principal.subject, role=principal.role, participant_id=participant_id, what=what,
        unmasked=unmasked, reason=reason, request_id=request_id(request),
    )  # fmt: skip


def router() -> APIRouter:
    participants = APIRouter(tags=["records"], responses=PROBLEMS)

    @participants.get(
        "/v1/participants/{participant_id}",
        operation_id="get_participant",
        response_model=ParticipantAnswer,
        response_model_exclude_unset=True,
    )
    def participant(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        participant_id: UUID,
        known_at: KnownAt = None,
        reason: Reason = None,
    ) -> dict[str, Any]:
        """A participant's state, personal data shown on a need to know (every read recorded)."""
        ledger = components(request).ledger
        now, person = _person(ledger, principal, participant_id, known_at)
        personal: dict[str, Any] | None = None
        shown = policy.shows_personal_data(principal, now, reason)
        if person.erased:
            personal = {"erased": True}
        elif personal_data_id_for(participant_id) in ledger.repository:
            data = ledger.load_as_known(
                PersonalData, personal_data_id_for(participant_id), known_at
            )
            personal = plain(data.fields) if shown else {k: history.MASKED for k in data.fields}
        record_access(request, principal, participant_id, "participant", shown, reason)
        return {
            "id": str(participant_id),
            "version": person.version,
            "target_groups": person.target_groups,
            "settlement": person.settlement,
            "birth_year": person.birth_year,
            "prior_residence": person.prior_residence,
            "consents": person.consents,
            "episodes": policy.readable_episodes(principal, person.episodes),
            "linked": [str(p) for p in policy.seen_people(principal, ledger, person.linked)],
            "erased": person.erased,
            "personal_data": personal,
            "position": ledger.recorder.max_notification_id() or 0,
        }

    @participants.get(
        "/v1/participants/{participant_id}/history",
        operation_id="participant_history",
        response_model=HistoryPage,
        response_model_exclude_unset=True,
    )
    def participant_history(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        participant_id: UUID,
        known_at: KnownAt = None,
        limit: Limit = 100,
        cursor: HistoryCursor = None,
        reason: Reason = None,
    ) -> dict[str, Any]:
        """Every event of the person and of their episodes, in recorded order (read recorded)."""
        ledger = components(request).ledger
        now, person = _person(ledger, principal, participant_id, known_at)
        personal = policy.shows_personal_data(principal, now, reason)

        streams = _person_streams(ledger, principal, person, known_at)
        answer = history.page(
            ledger, participant_id, streams,
            known_at=known_at, limit=limit, cursor=cursor, personal=personal,
        )  # fmt: skip
        record_access(request, principal, participant_id, "history", personal, reason)
        return answer

    @participants.get(
        "/v1/participants/{participant_id}/episodes",
        operation_id="participant_episodes",
        response_model=EpisodeList,
    )
    def participant_episodes(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        participant_id: UUID,
        min_position: MinPosition = None,
        limit: Limit = 100,
        cursor: Cursor = None,
    ) -> EpisodeList:
        """The person's episodes in the programs you may read, in the order recorded (read
        recorded); a person you may not see is not found."""
        _person(components(request).ledger, principal, participant_id, None)
        which = EpisodeFilter(programs=policy.programs_shown(principal), participant=participant_id)
        found = episode_page(request, which, limit, cursor, min_position)
        record_access(request, principal, participant_id, "episodes", False, None)
        return found

    return participants


def _person(
    ledger: Any, principal: Principal, participant_id: UUID, known_at: datetime | None
) -> tuple[Participant, Participant]:
    """The person as known now and as known at the moment, if the caller may see them.

    Who may see a person, and their personal data, is decided on what is known now whatever
    the moment asked about: a caseworker who may see the person today also sees them as
    registered before their intake. A person the caller may not see is not found."""
    policy.check_record_reader(principal)
    now = ledger.load(Participant, participant_id)
    policy.check_person(principal, now)
    then = now if known_at is None else ledger.load_as_known(Participant, participant_id, known_at)
    return now, then


def _person_streams(
    ledger: Any, principal: Principal, person: Participant, known_at: datetime | None
) -> list[Stream]:
    """The streams of a person's history, in a fixed order (the cursor's): the person, their
    personal data, then each episode in the order opened. An episode the caller may not read
    on its own is not read here either, nor is the line saying that the person joined it."""
    return [
        Stream(
            "participant",
            person.id,
            keep=partial(policy.shows_history_line, principal, ledger),
            voided=partial(history.participant_voided, ledger, person.id, known_at),
        ),
        Stream("personal_data", personal_data_id_for(person.id)),
        *(
            Stream(
                "episode",
                UUID(episode),
                visible=policy.may_read(principal, {UUID(program)}),
                voided=partial(history.episode_voided, ledger, UUID(episode), known_at),
            )
            for program, episode in person.joined
        ),
    ]
