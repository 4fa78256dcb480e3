"""Programs, a facility, a participant and an episode, made through HTTP as a frontend would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tests.api.conftest import OTHER, OWN, Api
from tests.snils import a_snils

TODAY = datetime.now(UTC).date()


def day(days_ago: int) -> str:
    return (TODAY - timedelta(days=days_ago)).isoformat()


@dataclass
class World:
    own: str
    other: str
    facility: str
    participant: str
    episode: str
    other_episode: str


def program(api: Api, code: str) -> str:
    response = api.post(
        "/v1/programs",
        {
            "code": code,
            "name": f"Program {code}",
            "financing": "grant",
            "period_start": day(400),
            "period_end": (TODAY + timedelta(days=400)).isoformat(),
            "targets": {"served": 200, "housed": 50, "consulted": 150, "trained": 40},
        },
        role="admin",
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def participant(api: Api, programs: list[str], name: str = "Anna Petrova") -> str:
    caller = api.as_("caseworker", programs)
    response = api.http.post(
        "/v1/participants",
        json={
            "target_groups": ["orphan_care_leaver"],
            "settlement": "Kopeysk",
            "birth_year": 2004,
            "prior_residence": "orphan_care",
            "personal_data": {"full_name": name, "snils": a_snils(), "phone": "+7 900 111"},
        },
        headers=caller,
    )
    assert response.status_code == 201, response.text
    person = str(response.json()["id"])
    consent = api.http.post(
        f"/v1/participants/{person}/consents",
        json={"scope": "services", "document_ref": "C-1", "occurred_on": day(60)},
        headers=caller,
    )
    assert consent.status_code == 201, consent.text
    return person


def episode(api: Api, person: str, program_id: str, programs: list[str]) -> str:
    response = api.http.post(
        "/v1/episodes",
        json={
            "participant_id": person,
            "program_id": program_id,
            "caseworker": "caseworker-1",
            "referral_source": "self",
            "occurred_on": day(50),
        },
        headers=api.as_("caseworker", programs),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def facility(api: Api, capacity: int = 1) -> str:
    response = api.post(
        "/v1/facilities",
        {
            "kind": "social_hotel",
            "name": "Hotel",
            "settlement": "Chelyabinsk",
            "capacity": capacity,
            "occurred_on": day(300),
        },
        role="admin",
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def a_world(api: Api) -> World:
    own, other = program(api, OWN), program(api, OTHER)
    person = participant(api, [OWN])
    stranger = participant(api, [OTHER], name="Boris Sidorov")
    return World(
        own,
        other,
        facility(api),
        person,
        episode(api, person, own, [OWN]),
        episode(api, stranger, other, [OTHER]),
    )
