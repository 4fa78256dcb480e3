"""Outcome status through HTTP, as in seed 000: people from boarding homes placed in a training
apartment are pending until twelve months have passed, then achieved unless admitted to an
institution first; people at home whose application for inpatient care was withdrawn achieve
that outcome; all as known at any moment, by any version of the definitions."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from api.read_params import MAX_OFFSET, cursor_at
from domain.outcome_rules import add_months
from projections.outcome_facts import OutcomeFacts
from projections.rebuild import rebuild
from tests.api.conftest import OTHER, OWN, Api
from tests.api.test_answers import answer_schema, validator
from tests.api.world import TODAY, day
from tests.snils import a_snils

NO_RETURN: dict[str, Any] = {
    "key": "no_return",
    "name": "No return to an institution for 12 months after moving out",
    "condition": {
        "kind": "sustained",
        "start": "placement_started",
        "without": "institutional_admission",
        "months": 12,
    },
    "cohort": {"prior_residence": ["inpatient_institution"]},
    "price": 150000,
    "cap": 2,
    "reason": "contract, annex 2",
}
WITHDRAWN: dict[str, Any] = {
    "key": "withdrawn",
    "name": "Application for inpatient care withdrawn",
    "condition": {"kind": "occurs", "fact": "application_withdrawn"},
    "cohort": {"prior_residence": ["parental_family", "own_home"]},
    "price": 50000,
    "reason": "contract, annex 2",
}
PLACED_ON = date.fromisoformat(day(700))
SUSTAINED_ON = add_months(PLACED_ON, 12)


@dataclass
class Seed:
    """The program, its people by letter, and the ids of the events that decide their outcomes.

    A, B, C, D came from boarding homes and moved into a training apartment on PLACED_ON: A was
    admitted to a hospital 100 days later; D's admission was recorded in error and voided; C's
    admission, 200 days after moving out, was recorded only after `moment`, and so was the
    second version of no_return (24 months). H1 and H2 live with their parents or on their own
    and withdrew their applications for inpatient care; H3 did not (yet)."""

    program: str
    people: dict[str, str]
    events: dict[str, str]
    moment: str
    head: int


def created(api: Api, path: str, body: dict[str, Any], role: str = "caseworker") -> Any:
    response = api.post(path, body, role=role)
    assert response.status_code == 201, response.text
    return response.json()


def a_person(api: Api, program: str, facility: str | None, residence: str) -> tuple[str, str]:
    """A consenting person, in an episode of the program; placed on PLACED_ON if a facility."""
    person = created(
        api,
        "/v1/participants",
        {
            "target_groups": ["mental_disability"],
            "settlement": "Kopeysk",
            "birth_year": 1980,
            "prior_residence": residence,
            "personal_data": {"full_name": "Ivan Ivanov", "snils": a_snils()},
        },
    )["id"]
    created(
        api,
        f"/v1/participants/{person}/consents",
        {"scope": "services", "document_ref": "C-1", "occurred_on": day(950)},
    )
    episode = created(
        api,
        "/v1/episodes",
        {
            "participant_id": person,
            "program_id": program,
            "caseworker": "caseworker-1",
            "referral_source": "self",
            "occurred_on": day(900),
        },
    )["id"]
    placed = ""
    if facility is not None:
        placed = created(
            api,
            f"/v1/episodes/{episode}/placements",
            {"facility_id": facility, "occurred_on": PLACED_ON.isoformat()},
        )["event_id"]
    return person, placed


def institutional(api: Api, person: str, event: str, days_ago: int) -> str:
    body = {"event": event, "institution_kind": "hospital", "occurred_on": day(days_ago)}
    return str(created(api, f"/v1/participants/{person}/institutional-events", body)["event_id"])


def seeded(api: Api) -> Seed:
    program = created(
        api,
        "/v1/programs",
        {
            "code": OWN,
            "name": "Accompanied accommodation",
            "financing": "social_impact",
            "period_start": day(1000),
            "period_end": (TODAY + timedelta(days=400)).isoformat(),
        },
        role="admin",
    )["id"]
    created(
        api,
        "/v1/programs",
        {
            "code": OTHER,
            "name": "Another program",
            "financing": "grant",
            "period_start": day(1000),
            "period_end": day(0),
        },
        role="admin",
    )
    apartment = created(
        api,
        "/v1/facilities",
        {
            "kind": "training_apartment",
            "name": "Training apartment",
            "settlement": "Chelyabinsk",
            "capacity": 8,
            "occurred_on": day(1000),
        },
        role="admin",
    )["id"]
    people, events = {}, {}
    for letter in "ABCD":
        people[letter], events[f"placed {letter}"] = a_person(
            api, program, apartment, "inpatient_institution"
        )
    for letter, residence in (("H1", "parental_family"), ("H2", "own_home"), ("H3", "own_home")):
        people[letter], _ = a_person(api, program, None, residence)
    events["admitted A"] = institutional(api, people["A"], "admission", 600)
    events["admitted D"] = institutional(api, people["D"], "admission", 550)
    voided = f"/v1/participants/{people['D']}/entries/{events['admitted D']}/void"
    created(api, voided, {"reason": "another person's admission"})
    for letter in ("H1", "H2"):
        events[f"withdrawn {letter}"] = institutional(
            api, people[letter], "application_withdrawn", 650
        )
    for definition in (NO_RETURN, WITHDRAWN):
        created(api, f"/v1/programs/{program}/outcome-definitions", definition, role="admin")

    time.sleep(0.01)
    moment = datetime.now(UTC).isoformat()
    time.sleep(0.01)
    events["admitted C"] = institutional(api, people["C"], "admission", 500)
    longer = {**NO_RETURN, "condition": {**NO_RETURN["condition"], "months": 24}}
    created(api, f"/v1/programs/{program}/outcome-definitions", longer, role="admin")
    return Seed(program, people, events, moment, api.log_head())


def status(api: Api, seed: Seed, key: str | None = None, **query: Any) -> dict[str, Any]:
    path = f"/v1/programs/{seed.program}/outcome-status" + (f"/{key}" if key else "")
    response = api.get(path, role="supervisor", min_position=seed.head, **query)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def counts(body: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    """key -> (version, cohort size, pending, achieved, failed, paid, amount)."""
    return {
        o["key"]: tuple(
            o[n]
            for n in ("version", "cohort_size", "pending", "achieved", "failed", "paid", "amount")
        )
        for o in body["outcomes"]
    }


def rows(body: dict[str, Any], seed: Seed) -> dict[str, tuple[Any, ...]]:
    """letter -> (state, on, evidence, broken_by) of each person listed."""
    letters = {person: letter for letter, person in seed.people.items()}
    assert [p["participant_id"] for p in body["participants"]] == sorted(
        p["participant_id"] for p in body["participants"]
    )
    return {
        letters[p["participant_id"]]: (p["state"], p["on"], p["evidence"], p["broken_by"])
        for p in body["participants"]
    }


def test_moved_out_people_are_pending_for_twelve_months_then_achieved_unless_admitted(
    api: Api,
) -> None:
    seed = seeded(api)
    e = seed.events
    before = status(api, seed, as_of=day(400), known_at=seed.moment)
    assert before["as_of"] == day(400)
    assert datetime.fromisoformat(before["known_at"]) == datetime.fromisoformat(seed.moment)
    assert counts(before) == {
        "no_return": (1, 4, 3, 0, 1, 0, 0),
        "withdrawn": (1, 3, 1, 2, 0, 2, 100000),
    }
    people = rows(status(api, seed, "no_return", as_of=day(400), known_at=seed.moment), seed)
    assert people == {
        "A": ("failed", day(600), [e["placed A"]], e["admitted A"]),
        "B": ("pending", None, [e["placed B"]], None),
        "C": ("pending", None, [e["placed C"]], None),
        "D": ("pending", None, [e["placed D"]], None),  # the voided admission is no admission
    }

    after = status(api, seed, "no_return", known_at=seed.moment)
    assert after["as_of"] == day(0)
    achieved = SUSTAINED_ON.isoformat()
    assert rows(after, seed) == {
        "A": ("failed", day(600), [e["placed A"]], e["admitted A"]),
        "B": ("achieved", achieved, [e["placed B"]], None),
        "C": ("achieved", achieved, [e["placed C"]], None),
        "D": ("achieved", achieved, [e["placed D"]], None),
    }
    assert {k: after[k] for k in ("version", "cohort_size", "achieved", "failed", "cap")} == {
        "version": 1,
        "cohort_size": 4,
        "achieved": 3,
        "failed": 1,
        "cap": 2,
    }
    assert (after["paid"], after["amount"]) == (2, 300000)  # three achieved, two paid: the cap

    at_home = status(api, seed, "withdrawn", known_at=seed.moment)
    assert rows(at_home, seed) == {
        "H1": ("achieved", day(650), [e["withdrawn H1"]], None),
        "H2": ("achieved", day(650), [e["withdrawn H2"]], None),
        "H3": ("pending", None, [], None),
    }
    assert (at_home["name"], at_home["price"], at_home["cap"]) == (WITHDRAWN["name"], 50000, None)


def test_a_back_dated_admission_and_a_new_version_count_only_as_known_after_them(
    api: Api,
) -> None:
    seed = seeded(api)
    e = seed.events
    then = status(api, seed, known_at=seed.moment)
    now = status(api, seed)
    assert counts(then) == {
        "no_return": (1, 4, 0, 3, 1, 2, 300000),
        "withdrawn": (1, 3, 1, 2, 0, 2, 100000),
    }
    # Version 2 (24 months) is current now: nobody has been out that long; A and C went back.
    assert counts(now) == {
        "no_return": (2, 4, 2, 0, 2, 0, 0),
        "withdrawn": (1, 3, 1, 2, 0, 2, 100000),
    }
    first = rows(status(api, seed, "no_return", version=1), seed)
    assert first["C"] == ("failed", day(500), [e["placed C"]], e["admitted C"])
    assert first["A"] == ("failed", day(600), [e["placed A"]], e["admitted A"])
    assert {letter: first[letter][:2] for letter in "BD"} == {
        "B": ("achieved", SUSTAINED_ON.isoformat()),
        "D": ("achieved", SUSTAINED_ON.isoformat()),
    }
    second = status(api, seed, "no_return")
    assert (second["version"], second["name"]) == (2, NO_RETURN["name"])
    assert {letter: row[0] for letter, row in rows(second, seed).items()} == {
        "A": "failed",
        "B": "pending",
        "C": "failed",
        "D": "pending",
    }
    # Version 2 was not defined yet at the moment: asking for it then finds nothing.
    missing = api.get(
        f"/v1/programs/{seed.program}/outcome-status/no_return",
        role="supervisor",
        version=2,
        known_at=seed.moment,
    )
    assert missing.status_code == 404, missing.text
    assert "versions 1 to 1" in missing.json()["title"]


def test_statuses_after_a_rebuild_are_those_read_live_and_fit_their_documented_schemas(
    api: Api,
) -> None:
    seed = seeded(api)
    queries: list[tuple[str | None, dict[str, Any]]] = [
        (None, {}),
        (None, {"as_of": day(400), "known_at": seed.moment}),
        ("no_return", {"version": 1}),
        ("withdrawn", {"limit": 2}),
    ]
    live = [status(api, seed, key, **query) for key, query in queries]
    components = api.app.state.components
    rebuilt = rebuild(components.ledger, components.store, OutcomeFacts)
    assert rebuilt.position == seed.head
    assert [status(api, seed, key, **query) for key, query in queries] == live

    document = api.http.get("/openapi.json").json()
    for (key, _), body in zip(queries, live, strict=True):
        path = "/v1/programs/{program_id}/outcome-status" + ("/{key}" if key else "")
        errors = validator(document, answer_schema(document, path)).iter_errors(body)
        assert [error.message for error in errors] == []

    first = live[3]
    assert len(first["participants"]) == 2
    assert (first["cohort_size"], first["achieved"]) == (3, 2)  # the whole cohort, not the page
    rest = status(api, seed, "withdrawn", limit=2, cursor=first["next_cursor"])
    assert rest["next_cursor"] is None
    assert [p["participant_id"] for p in first["participants"] + rest["participants"]] == sorted(
        seed.people[h] for h in ("H1", "H2", "H3")
    )


def test_analysts_read_counts_not_people_and_nobody_reads_another_programs(api: Api) -> None:
    seed = seeded(api)
    by_code = api.get(
        f"/v1/programs/{OWN.lower()}/outcome-status", role="analyst", min_position=seed.head
    )
    assert by_code.status_code == 200, by_code.text
    assert counts(by_code.json())["withdrawn"] == (1, 3, 1, 2, 0, 2, 100000)
    assert "participants" not in by_code.text
    people = api.get(f"/v1/programs/{seed.program}/outcome-status/withdrawn", role="analyst")
    assert people.status_code == 403, people.text
    assert people.json()["code"] == "forbidden"
    assert "not whom they stand for" in people.json()["title"]
    for path in ("outcome-status", "outcome-status/withdrawn"):
        other = api.http.get(
            f"/v1/programs/{seed.program}/{path}", headers=api.as_("supervisor", [OTHER])
        )
        assert other.status_code == 403, other.text
        assert other.json()["title"] == "Not within your programs"


def test_bad_parameters_are_refused_with_a_reason_and_extreme_ones_answered(api: Api) -> None:
    seed = seeded(api)
    base = f"/v1/programs/{seed.program}/outcome-status"
    refused = [
        (base, {"as_of": "2024-02-30"}, 422, "as_of"),
        (base, {"as_of": "0"}, 422, "as_of"),
        (base, {"as_of": "2024-01-01\x00"}, 422, "NUL"),
        (base, {"known_at": "yesterday"}, 422, "known_at"),
        (base, {"known_at": "2024-01-01T00:00:00\x00Z"}, 422, "NUL"),
        (base, {"min_position": -1}, 422, "min_position"),
        (base, {"min_position": 10**9}, 422, "min_position"),
        (base + "/no_return", {"version": 0}, 422, "version"),
        (base + "/no_return", {"version": 10**12}, 422, "version"),
        (base + "/no_return", {"limit": 0}, 422, "limit"),
        (base + "/no_return", {"cursor": "!!"}, 422, "cursor"),
        (base + "/No%00Return", {}, 422, "NUL"),
        (base + "/No_Return", {}, 422, "key"),
        (base + "/no_such_outcome", {}, 404, "no outcome 'no_such_outcome'"),
        (base + "/no_return", {"version": 3}, 404, "versions 1 to 2"),
        (base, {"known_at": "2001-01-01T00:00:00Z"}, 404, "known at"),
        ("/v1/programs/NOPE/outcome-status", {}, 404, "program"),
        ("/v1/programs/no%00pe/outcome-status", {}, 422, "NUL"),
        ("/v1/programs/no pe/outcome-status", {}, 422, "program_id"),
    ]
    for path, query, code, says in refused:
        response = api.get(path, role="admin", **query)
        assert response.status_code == code, (path, query, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert says in response.text, (path, query, response.text)
        if code == 404:
            program = says in ("known at", "program")
            hint = "GET /v1/programs lists" if program else "outcome-definitions lists"
            assert hint in response.json()["detail"]

    far = status(api, seed, as_of="9999-12-31", known_at="9999-12-31T23:59:59-23:59")
    assert counts(far)["no_return"] == (2, 4, 0, 2, 2, 2, 300000)
    assert far["as_of"] == "9999-12-31"
    beyond = status(api, seed, "withdrawn", cursor=cursor_at(MAX_OFFSET))
    assert (beyond["participants"], beyond["next_cursor"], beyond["cohort_size"]) == ([], None, 3)
    past_any = api.get(
        f"/v1/programs/{seed.program}/outcome-status/withdrawn",
        role="supervisor",
        cursor=cursor_at(10**25),
    )
    assert (past_any.status_code, past_any.json()["code"]) == (400, "invalid_cursor")
    first = status(api, seed, "no_return", as_of="0001-01-01")
    assert {p["state"] for p in first["participants"]} == {"pending"}
    assert {tuple(p["evidence"]) for p in first["participants"]} == {()}
