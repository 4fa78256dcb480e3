"""Seeds 000, 001, 002 and 004 recorded through HTTP, as caseworkers' frontends sync them.

Each builder answers the program and what its report must show, event ids included.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from domain.tracks import entry_id
from tests.api.conftest import Api

KEYS = itertools.count()


@dataclass
class Seed:
    """A program as recorded, the log position its report must reach, and what it must show."""

    program: str
    code: str
    position: int = 0
    new_services: list[str] = field(default_factory=list)
    skill_events: dict[str, list[str]] = field(default_factory=dict)
    mentors: dict[str, list[str]] = field(default_factory=dict)
    mentors_once_participants: dict[str, list[str]] = field(default_factory=dict)
    boarded: dict[str, list[str]] = field(default_factory=dict)
    at_home: set[str] = field(default_factory=set)

    def reached(self, position: int) -> None:
        self.position = max(self.position, position)


def batch(
    api: Api, codes: list[str], commands: list[tuple[str, dict[str, Any]]], sub: str = "cw-seed"
) -> list[Any]:
    """Commands as one caseworker of these programs sends them: each must be created."""
    results = []
    headers = api.as_("caseworker", codes, sub=sub)
    for start in range(0, len(commands), 500):
        items = [
            {"path": path, "idempotency_key": f"seed-{next(KEYS)}", "body": body}
            for path, body in commands[start : start + 500]
        ]
        response = api.http.post("/v1/batch", json={"commands": items}, headers=headers)
        assert response.status_code == 200, response.text
        for result in response.json()["results"]:
            assert result["status"] == 201, result
            results.append(result["result"])
    return results


def define(api: Api, code: str, start: str, end: str, targets: dict[str, int]) -> Seed:
    response = api.post(
        "/v1/programs",
        {
            "code": code,
            "name": code.title(),
            "financing": "social_impact" if code.startswith("SIB") else "grant",
            "period_start": start,
            "period_end": end,
            "targets": targets,
        },
        role="admin",
    )
    assert response.status_code == 201, response.text
    return Seed(response.json()["id"], code, response.json()["position"])


def served(
    api: Api, seed: Seed, codes: list[str], n: int, group: str, residence: str, on: str
) -> list[tuple[str, str]]:
    """(participant, episode) of n people of a group who lived in `residence`, opened `on`."""
    person = {"target_groups": [group], "settlement": "Chelyabinsk", "birth_year": 1985}
    registered = batch(
        api, codes, [("/v1/participants", {**person, "prior_residence": residence})] * n
    )
    people = [str(r["id"]) for r in registered]
    consent = {"scope": "services", "document_ref": "C-1", "occurred_on": on}
    batch(api, codes, [(f"/v1/participants/{p}/consents", consent) for p in people])
    opened = batch(
        api,
        codes,
        [
            (
                "/v1/episodes",
                {
                    "participant_id": p,
                    "program_id": seed.program,
                    "caseworker": "cw-seed",
                    "referral_source": "outreach",
                    "occurred_on": on,
                },
            )
            for p in people
        ],
    )
    seed.reached(opened[-1]["position"])
    return list(zip(people, [str(r["id"]) for r in opened], strict=True))


def on_episodes(
    api: Api,
    seed: Seed,
    episodes: list[str],
    step: str,
    body: dict[str, Any],
    codes: list[str] | None = None,
) -> list[Any]:
    """The same command on each episode (`step` the path after the episode's), sent by a
    caseworker of the seed's program (or of `codes`)."""
    commands = [(f"/v1/episodes/{e}/{step}", body) for e in episodes]
    results = batch(api, codes or [seed.code], commands)
    seed.reached(results[-1]["position"])
    return results


def proof(episode: str, result: Any) -> str:
    return str(entry_id(UUID(episode), result["version"]))


def step_by_step_001(api: Api) -> Seed:
    """Seed 001, December 2021: the social hotel, consultations, short courses, two new
    services and the skill events of the graduates' independent life."""
    seed = define(
        api,
        "STEP-BY-STEP-2021",
        "2021-12-01",
        "2021-12-25",
        {
            "served": 200,
            "housed": 50,
            "consulted": 150,
            "trained": 40,
            "new_services": 2,
            "skill_events": 50,
        },
    )
    hotel = api.post(
        "/v1/facilities",
        {
            "kind": "social_hotel",
            "name": "Social hotel",
            "settlement": "Chelyabinsk",
            "capacity": 50,
            "occurred_on": "2021-11-01",
        },
        role="admin",
    ).json()["id"]
    for kind, day in (("hotel_food_set", 1), ("short_professional_course", 3)):
        body = {"kind": kind, "name": kind.replace("_", " "), "unit": "service"}
        added = api.post(
            f"/v1/programs/{seed.program}/services",
            {**body, "occurred_on": f"2021-12-0{day}"},
            role="admin",
        )
        assert added.status_code == 201, added.text
        seed.new_services.append(added.json()["event_id"])
        seed.reached(added.json()["position"])
    people = served(api, seed, [seed.code], 200, "orphan_care_leaver", "orphan_care", "2021-12-01")
    episodes = [e for _, e in people]
    on_episodes(
        api, seed, episodes[:50], "placements", {"facility_id": hotel, "occurred_on": "2021-12-02"}
    )
    food = {"kind": "food_package", "settlement": "Chelyabinsk", "occurred_on": "2021-12-02"}
    on_episodes(api, seed, episodes[:50], "services", food)
    for n, specialist in enumerate(("psychologist", "lawyer", "doctor")):
        mine = episodes[n:150:3]
        made = on_episodes(
            api, seed, mine, "referrals", {"specialist": specialist, "occurred_on": "2021-12-03"}
        )
        for answer, day in (("accept", "2021-12-03"), ("complete", "2021-12-06")):
            batch(
                api,
                [seed.code],
                [
                    (f"/v1/episodes/{e}/referrals/{r['id']}/{answer}", {"occurred_on": day})
                    for e, r in zip(mine, made, strict=True)
                ],
            )
    trainees = episodes[100:140]
    course = {"title": "Cook", "hours": 36, "format": "mixed", "occurred_on": "2021-12-04"}
    courses = on_episodes(api, seed, trainees, "courses", course)
    for step, day in (("enrol", "2021-12-08"), ("complete", "2021-12-20")):
        done = batch(
            api,
            [seed.code],
            [
                (f"/v1/episodes/{e}/courses/{c['id']}/{step}", {"occurred_on": day})
                for e, c in zip(trainees, courses, strict=True)
            ],
        )
        seed.reached(done[-1]["position"])
    for kind, group in (("household_skills", people[150:175]), ("workshop", people[175:])):
        body = {
            "kind": kind,
            "quantity": 2,
            "settlement": "Chelyabinsk",
            "occurred_on": "2021-12-10",
        }
        held = on_episodes(api, seed, [e for _, e in group], "services", body)
        for (person, episode), result in zip(group, held, strict=True):
            seed.skill_events[person] = [proof(episode, result)]
    return seed


def social_patrol_004(api: Api) -> Seed:
    """Seed 004, 2024: five volunteers who went through the program in 2023 mentor this year's
    people, beside a curator on staff; six people start work."""
    earlier = define(api, "PATROL-2023", "2023-01-01", "2023-12-31", {})
    seed = define(api, "PATROL-2024", "2024-01-01", "2024-12-31", {"mentors": 5, "employed": 6})
    codes = [earlier.code, seed.code]
    volunteers = served(api, earlier, codes, 5, "released_from_prison", "prison", "2023-02-01")
    mentees = [e for _, e in served(api, seed, codes, 12, "homeless", "street", "2024-01-15")]
    for n, (mentor, first_episode) in enumerate(volunteers):
        mine = mentees[2 * n : 2 * n + 2]
        body = {"mentor_participant_id": mentor, "occurred_on": "2024-02-01"}
        # Naming a mentor needs the right to see them: their own episode is last year's.
        assigned = on_episodes(api, seed, mine, "mentors", body, codes)
        seed.mentors[mentor] = [proof(e, r) for e, r in zip(mine, assigned, strict=True)]
        seed.mentors_once_participants[mentor] = [
            str(entry_id(UUID(first_episode), 1)),
            *seed.mentors[mentor],
        ]
    curator = on_episodes(
        api,
        seed,
        mentees[10:],
        "mentors",
        {"mentor_staff": "curator-1", "occurred_on": "2024-02-01"},
    )
    seed.mentors["staff:curator-1"] = [
        proof(e, r) for e, r in zip(mentees[10:], curator, strict=True)
    ]
    job = {"employment": "open_market", "occupation": "loader", "occurred_on": "2024-05-01"}
    on_episodes(api, seed, mentees[:6], "jobs", job)
    seed.reached(max(earlier.position, seed.position))
    return seed


def accompanied_accommodation_000(api: Api) -> Seed:
    """Seed 000: 16 people from psychoneurological boarding homes and 8 living at home at risk
    of admission, who withdrew their applications."""
    seed = define(
        api,
        "SIB-ACCOMMODATION",
        "2020-01-01",
        "2022-12-31",
        {"served": 24, "no_return_to_institution": 16, "applications_withdrawn": 8},
    )
    codes = [seed.code]
    boarded = served(
        api, seed, codes, 16, "mental_disability", "inpatient_institution", "2020-03-01"
    )
    at_home = served(api, seed, codes, 8, "mental_disability", "parental_family", "2020-03-01")
    cohort = api.post(
        f"/v1/programs/{seed.program}/cohorts",
        {
            "indicator": "no_return_to_institution",
            "prior_residence": ["inpatient_institution"],
            "target_groups": [],
            "reason": "the investor pays for those who left a boarding home",
        },
        role="admin",
    )
    assert cohort.status_code == 201, cohort.text
    seed.reached(cohort.json()["position"])
    withdrawn = batch(
        api,
        codes,
        [
            (
                f"/v1/participants/{p}/institutional-events",
                {
                    "event": "application_withdrawn",
                    "institution_kind": "psychoneurological_boarding_home",
                    "occurred_on": "2020-06-01",
                },
            )
            for p, _ in at_home
        ],
    )
    seed.reached(withdrawn[-1]["position"])
    seed.boarded = {p: [str(entry_id(UUID(e), 1))] for p, e in boarded}
    seed.at_home = {p for p, _ in at_home}
    return seed


# Seed 002's villages sync at once, as their caseworkers' frontends would. A batch's commands are
# written one after another, each waiting for its own group commit, and the server works on 4
# batches at once (api/batch.py): one caseworker at a time took twice as long on PostgreSQL.
RURAL_CASEWORKERS = 8


def rural_year_002(api: Api, seed: Seed, forms: list[str]) -> int:
    """Seed 002: the year's people, person n with the form of service `forms[n]`, in 28 villages
    whose caseworkers sync at once; the log position every write reached."""
    people = list(enumerate(forms))
    with ThreadPoolExecutor(RURAL_CASEWORKERS) as caseworkers:
        return max(
            caseworkers.map(
                lambda village: _rural_village(api, seed, village, people[village::28]),
                range(28),
            )
        )


def _rural_village(api: Api, seed: Seed, village: int, people: list[tuple[int, str]]) -> int:
    """One village's people as its caseworker syncs them: registered, consenting (each consent
    right before the episode it allows), an episode opened, two services of their form in two
    months; the log position reached."""
    codes, caseworker = [seed.code], f"cw-village-{village:02d}"
    settlement = f"village-{village:02d}"
    person = {
        "target_groups": ["elderly"],
        "settlement": settlement,
        "birth_year": 1950,
        "prior_residence": "own_home",
    }
    registered = batch(api, codes, [("/v1/participants", person)] * len(people), caseworker)
    consent = {"scope": "services", "document_ref": "C", "occurred_on": "2023-01-09"}
    episode = {
        "program_id": seed.program,
        "caseworker": caseworker,
        "referral_source": "village administration",
        "occurred_on": "2023-01-10",
    }
    opened = batch(
        api,
        codes,
        [
            command
            for p in (str(r["id"]) for r in registered)
            for command in (
                (f"/v1/participants/{p}/consents", consent),
                ("/v1/episodes", {**episode, "participant_id": p}),
            )
        ],
        caseworker,
    )[1::2]
    served = batch(
        api,
        codes,
        [
            (
                f"/v1/episodes/{e['id']}/services",
                {"kind": form, "settlement": settlement, "occurred_on": f"2023-{month:02d}-15"},
            )
            for e, (n, form) in zip(opened, people, strict=True)
            for month in (2 + n % 10, 3 + n % 10)
        ],
        caseworker,
    )
    return int(served[-1]["position"])
