"""Finding people: a search by name, birth date, SNILS or phone (through the blind index), and
people who may be recorded twice. Only people the caller may see are answered."""

from __future__ import annotations

import base64
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from api import history, policy
from api.answers import ReadAnswer
from api.auth import Principal
from api.deps import authenticate, components, request_id
from api.history import plain
from api.problems import PROBLEMS
from api.read_params import Cursor, offset_of
from domain.participant import Participant
from domain.personal_data import PersonalData, personal_data_id_for
from domain.ports import PersonFound

# Printable text only: a NUL or other control character is refused (422), never searched for.
_PRINTABLE = r"[^\u0000-\u001f\u007f]"
SEARCH_TEXT = rf"^{_PRINTABLE}*[^\u0000-\u0020\u007f]{_PRINTABLE}*$"  # and not only spaces
SearchText = Annotated[str, Field(min_length=1, max_length=200, pattern=SEARCH_TEXT)]
HitLimit = Annotated[int, Field(ge=1, le=100)]
# Ranked ids read to find a page of people the caller may see, per hit asked for: the rest of
# a crowded result is cut rather than loading every namesake in the ledger.
CANDIDATES_PER_HIT = 5


class SearchRequest(BaseModel):
    """What to search for: any of a name (typos, Cyrillic or Latin), a birth date (1990-05-17
    or 17.05.1990), a SNILS or a phone number, in one text."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"query": "Ivanova 17.05.1990", "limit": 20}]},
    )
    query: SearchText
    limit: HitLimit = 20


class PersonHit(ReadAnswer):
    """A person found: what of their data matched, how well, and their data as policy shows it."""

    participant_id: UUID
    score: int = Field(description="Summed over the parts of the query: 2 exact, 1 one edit off")
    matched: list[str] = Field(
        description="Fields that matched: full_name, birth_date, snils, phone"
    )
    personal_data: dict[str, Any] | None = Field(
        description='Shown on a need to know, else every field "***"; null if none recorded'
    )
    masked: bool


class SearchAnswer(ReadAnswer):
    """People found, best first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "hits": [
                        {
                            "participant_id": "6f1c8a52-3d0e-4c1b-9a7e-2b5d8f0e4a11",
                            "score": 4,
                            "matched": ["full_name", "birth_date"],
                            "personal_data": {
                                "full_name": "Иванова Мария Петровна",
                                "birth_date": "1990-05-17",
                            },
                            "masked": False,
                        }
                    ]
                }
            ]
        }
    )
    hits: list[PersonHit]


class LookalikeGroup(ReadAnswer):
    """People sharing a normalised full name and birth date: perhaps one person recorded twice."""

    participant_ids: list[UUID]


class LookalikesAnswer(ReadAnswer):
    """Groups of look-alike people within the caller's programs, a page at a time."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "groups": [
                        {
                            "participant_ids": [
                                "6f1c8a52-3d0e-4c1b-9a7e-2b5d8f0e4a11",
                                "0b7d2e94-81f3-4a6c-b5d0-7e3c9a1f2d48",
                            ]
                        }
                    ],
                    "next_cursor": None,
                }
            ]
        }
    )
    groups: list[LookalikeGroup]
    next_cursor: str | None


def router() -> APIRouter:
    people = APIRouter(tags=["records"], responses=PROBLEMS)

    @people.post(
        "/v1/participants/search", response_model=SearchAnswer, operation_id="search_people"
    )
    def search_by_body(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        body: SearchRequest,
    ) -> SearchAnswer:
        """Find people (recommended: the text stays out of URLs and their logs)."""
        return _search(request, principal, body.query, body.limit)

    @people.api_route(
        "/v1/participants/search",
        methods=["GET", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )
    def search_by_other_methods() -> None:
        """Only POSTed: not the participant with id "search" of GET /v1/participants/{id}."""
        raise HTTPException(405, headers={"Allow": "POST"})

    @people.get("/v1/participants", response_model=SearchAnswer, operation_id="find_people")
    def search_by_query(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        search: Annotated[SearchText, Query(description="As the body's `query` of the POST")],
        limit: Annotated[HitLimit, Query()] = 20,
    ) -> SearchAnswer:
        """Find people; prefer POST /v1/participants/search, which keeps the text out of URLs."""
        return _search(request, principal, search, limit)

    @people.get(
        "/v1/participants/candidates",
        response_model=LookalikesAnswer,
        operation_id="lookalike_people",
    )
    def lookalikes(
        request: Request,
        principal: Annotated[Principal, Depends(authenticate)],
        cursor: Cursor = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> LookalikesAnswer:
        """People sharing a normalised name and birth date, in groups (supervisors, admins)."""
        policy.check_lookalike_reader(principal)
        ledger = components(request).ledger
        after = offset_of(cursor)
        found = ledger.person_index.lookalikes(after, limit)
        people = ledger.load_many(Participant, [pid for ids in found for pid in ids])
        groups = []
        for ids in found:
            seen = [pid for pid in ids if pid in people and _may_see(principal, people[pid])]
            if len(seen) > 1:
                groups.append(LookalikeGroup(participant_ids=seen))
        following = _cursor(after + limit) if len(found) == limit else None
        return LookalikesAnswer(groups=groups, next_cursor=following)

    return people


def _search(request: Request, principal: Principal, text: str, limit: int) -> SearchAnswer:
    """The best-ranked people the caller may see; each hit's read is recorded (not the text).

    Candidates are read a page at a time, each page's people together, then the hits' personal
    data together: a search reads a few pages, not a stream per person."""
    policy.check_searcher(principal)
    ledger = components(request).ledger
    found = ledger.person_index.search(text, limit * CANDIDATES_PER_HIT)
    seen: list[tuple[PersonFound, Participant]] = []
    for start in range(0, len(found), limit):
        page = found[start : start + limit]
        people = ledger.load_many(Participant, [hit.participant_id for hit in page])
        seen += [
            (hit, people[hit.participant_id])
            for hit in page
            if hit.participant_id in people and _may_see(principal, people[hit.participant_id])
        ]
        if len(seen) >= limit:
            break
    seen = seen[:limit]
    data = ledger.load_many(
        PersonalData, [personal_data_id_for(hit.participant_id) for hit, _ in seen]
    )
    hits = []
    for hit, person in seen:
        shown = policy.shows_personal_data(principal, person, None)
        personal = data.get(personal_data_id_for(hit.participant_id))
        hits.append(
            PersonHit(
                participant_id=hit.participant_id,
                score=hit.score,
                matched=list(hit.matched),
                personal_data=_shown(personal.fields, shown) if personal else None,
                masked=not shown,
            )
        )
    components(request).access_log.record_many(
        subject=principal.subject, role=principal.role, what="search", reason=None,
        read=[(hit.participant_id, not hit.masked) for hit in hits],
        request_id=request_id(request),
    )  # fmt: skip
    return SearchAnswer(hits=hits)


def _cursor(offset: int) -> str:
    """A cursor as api/read_params.py reads it: the offset, base64url-encoded."""
    return base64.urlsafe_b64encode(str(offset).encode()).decode()


def _may_see(principal: Principal, person: Participant) -> bool:
    """Whether the caller may see the person found: an index entry may name a person erased
    since (one whose registration failed has no record, and is never loaded)."""
    return not person.erased and policy.may_see_person(principal, person)


def _shown(fields: dict[str, Any], shown: bool) -> dict[str, Any]:
    return plain(fields) if shown else {name: history.MASKED for name in fields}
