"""Participants and episodes: their state and full history, now or as known at a moment."""

from __future__ import annotations

import base64
from datetime import datetime
from functools import partial
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request

from api import history
from api.auth import Principal
from api.bodies import Moment
from api.deps import authenticate, components, request_id, require
from api.history import HistoryCursor, Stream, plain
from api.problems import PROBLEMS, ProblemError
from domain.base import NotFoundError
from domain.episode import Episode
from domain.participant import Participant
from domain.personal_data import PersonalData, personal_data_id_for

KnownAt = Annotated[
    Moment | None, Query(description="Answer as the ledger knew it at this moment (RFC 3339)")
]
Limit = Annotated[int, Query(ge=1, le=500)]
# A cursor is the page's offset in decimal digits, base64url-encoded; the pattern says exactly
# that, so any cursor it allows can be read. Three digits make four characters (the first two
# depend on the first digit, 0-7 or 8-9); a tail of one or two digits is padded with "=".
_DIGIT_PAIR = "(?:[MN][DTjz]|O[DT])"
_GROUP = f"{_DIGIT_PAIR}[AEIMQUYcgk][w-z0-5]"
_TAIL = f"(?:{_DIGIT_PAIR}[AEIMQUYcgk]=|(?:[MN][AQgw]|O[AQ])==)"
CURSOR = f"^(?:(?:{_GROUP})+{_TAIL}?|{_TAIL})$"
Cursor = Annotated[
    str | None,
    Query(max_length=40, pattern=CURSOR, description="`next_cursor` of the page before"),
]
Reason = Annotated[
    str | None,
    Query(
        min_length=3, max_length=500, description="Why you read it (recorded); unmasks for auditors"
    ),
]
MASKED = history.MASKED


def offset_of(cursor: str | None) -> int:
    if cursor is None:
        return 0
    try:
        return int(base64.urlsafe_b64decode(cursor.encode()).decode())
    except ValueError:
        raise ProblemError(400, "invalid_cursor", "The cursor is not one this API gave") from None


def page(items: list[Any], limit: int, cursor: str | None) -> tuple[list[Any], str | None]:
    start = offset_of(cursor)
    end = start + limit
    following = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
    return items[start:end], following


READERS = ("admin", "caseworker", "supervisor", "auditor")


def may_read(principal: Principal, programs: set[UUID]) -> bool:
    """Whether the caller may read a record of these programs: admins any, caseworkers,
    supervisors and auditors one of a program they cover, nobody else."""
    if principal.has("admin"):
        return True
    if not principal.has(*READERS):
        return False
    return any(principal.covers(program) for program in programs)


def may_see_person(principal: Principal, person: Participant) -> bool:
    """Whether the caller may see this person at all, masked or not, and act on them.

    Once the person has an episode, its program decides (`may_read`). Before, nobody has taken
    the person in, so nobody but the writer who registered them (and admins) needs to know that
    they exist: not a caseworker, supervisor or auditor of any program, since the person is in
    none. Any writer may still open an episode for them in a program the writer covers
    (api/command.py), which is how a person joins a program."""
    programs = person.in_programs()
    if programs or principal.has("admin"):
        return may_read(principal, programs)
    return principal.subject == person.registered_by and principal.has("caseworker", "supervisor")


def shows_personal_data(principal: Principal, person: Participant, reason: str | None) -> bool:
    """Need to know: caseworkers of a program the person has an episode in, and the writer who
    registered a person not yet in any program; auditors and admins only when they give a
    reason (which is recorded); analysts never."""
    if principal.has("caseworker", "supervisor"):
        programs = person.in_programs()
        if any(principal.covers(p) for p in programs):
            return True
        if not programs and principal.subject == person.registered_by:
            return True
    return bool(reason) and principal.has("auditor", "admin")


def unseen(participant_id: UUID) -> NotFoundError:
    """The answer about a person the caller may not see: the very one about an unknown id,
    so that it does not tell an outsider that the person exists."""
    return NotFoundError(f"no participant {participant_id}")


def record_access(
    request: Request, principal: Principal, participant_id: UUID, what: str, unmasked: bool,
    reason: str | None,
) -> None:  # fmt: skip
    components(request).access_log.record(
        subject=principal.subject, role=principal.role, participant_id=participant_id, what=what,
        unmasked=unmasked, reason=reason, request_id=request_id(request),
    )  # fmt: skip


def router() -> APIRouter:
    records = APIRouter(tags=["records"], responses=PROBLEMS)

    @records.get("/v1/participants/{participant_id}", operation_id="get_participant")
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
        shown = shows_personal_data(principal, now, reason)
        if person.erased:
            personal = {"erased": True}
        elif personal_data_id_for(participant_id) in ledger.repository:
            data = ledger.load_as_known(
                PersonalData, personal_data_id_for(participant_id), known_at
            )
            personal = plain(data.fields) if shown else {k: MASKED for k in data.fields}
        record_access(request, principal, participant_id, "participant", shown, reason)
        return {
            "id": str(participant_id),
            "version": person.version,
            "target_groups": person.target_groups,
            "settlement": person.settlement,
            "birth_year": person.birth_year,
            "prior_residence": person.prior_residence,
            "consents": person.consents,
            "episodes": {
                program: ids
                for program, ids in person.episodes.items()
                if may_read(principal, {UUID(program)})
            },
            "erased": person.erased,
            "personal_data": personal,
            "position": ledger.recorder.max_notification_id() or 0,
        }

    @records.get("/v1/participants/{participant_id}/history", operation_id="participant_history")
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
        personal = shows_personal_data(principal, now, reason)

        streams = _person_streams(ledger, principal, person, known_at)
        answer = history.page(
            ledger, participant_id, streams,
            known_at=known_at, limit=limit, cursor=cursor, personal=personal,
        )  # fmt: skip
        record_access(request, principal, participant_id, "history", personal, reason)
        return answer

    @records.get("/v1/episodes/{episode_id}", operation_id="get_episode")
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

    @records.get("/v1/episodes/{episode_id}/history", operation_id="episode_history")
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

    @records.get("/v1/audit/access", operation_id="access_log")
    def access_log(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        participant: UUID,
        limit: Limit = 100,
        cursor: Cursor = None,
    ) -> dict[str, Any]:
        """Who read this participant's data or history, when, and why (admins and auditors)."""
        require(principal, "admin", "auditor")
        records_of = components(request).access_log.of(participant)
        items, following = page([plain(r) for r in records_of], limit, cursor)
        return {"items": items, "next_cursor": following}

    return records


def _episode(
    ledger: Any, principal: Principal, episode_id: UUID, known_at: datetime | None
) -> Episode:
    """The episode as known at the moment, if the caller may read its program."""
    _check_reader(principal)
    episode: Episode = ledger.load_as_known(Episode, episode_id, known_at)
    if not may_read(principal, {episode.program_id}):
        raise ProblemError(403, "forbidden", "Not within your programs")
    return episode


def _person(
    ledger: Any, principal: Principal, participant_id: UUID, known_at: datetime | None
) -> tuple[Participant, Participant]:
    """The person as known now and as known at the moment, if the caller may see them.

    Who may see a person, and their personal data, is decided on what is known now whatever
    the moment asked about: a caseworker who may see the person today also sees them as
    registered before their intake. A person the caller may not see is not found."""
    _check_reader(principal)
    now = ledger.load(Participant, participant_id)
    if not may_see_person(principal, now):
        raise unseen(participant_id)
    then = now if known_at is None else ledger.load_as_known(Participant, participant_id, known_at)
    return now, then


def _check_reader(principal: Principal) -> None:
    """Refuse a role that reads no records before loading anything, so that its answer is the
    same whether the id exists or not."""
    if not principal.has(*READERS):
        raise ProblemError(403, "forbidden", "Your role reads no participant or episode")


def _person_streams(
    ledger: Any, principal: Principal, person: Participant, known_at: datetime | None
) -> list[Stream]:
    """The streams of a person's history, in a fixed order (the cursor's): the person, their
    personal data, then each episode in the order opened. An episode the caller may not read
    on its own is not read here either, nor is the line saying that the person joined it."""

    def readable(event: Any) -> bool:
        return not isinstance(event, Participant.JoinedProgram) or may_read(
            principal, {event.program_id}
        )

    return [
        Stream("participant", person.id, keep=readable),
        Stream("personal_data", personal_data_id_for(person.id)),
        *(
            Stream(
                "episode",
                UUID(episode),
                visible=may_read(principal, {UUID(program)}),
                voided=partial(history.episode_voided, ledger, UUID(episode), known_at),
            )
            for program, episode in person.joined
        ),
    ]
