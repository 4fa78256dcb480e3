"""Dates that mean what they say, through HTTP: effective on a day (`as_of`, `on`), as recorded
by a moment (`known_at`), both at once; and periods counted only up to today."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from domain.tracks import entry_id
from tests.api.conftest import OWN, Api
from tests.api.world import TODAY, a_world, day, episode, participant


def created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def a_moment() -> str:
    """Now, as `known_at` spells it, between two recordings (recorded times are microseconds)."""
    time.sleep(0.01)
    moment = datetime.now(UTC).isoformat()
    time.sleep(0.01)
    return moment


def test_a_caseload_as_of_a_day_leaves_out_what_was_dated_later(api: Api) -> None:
    """The issue's example: on 2021-12-09 courses due 12-07 are overdue, though enrolments dated
    12-10 are recorded, and the last contact is not the one dated 12-17."""
    admin = {"role": "admin"}
    step = created(
        api.post(
            "/v1/programs",
            {
                "code": OWN,
                "name": "Step by step",
                "financing": "grant",
                "period_start": "2021-12-01",
                "period_end": "2021-12-25",
                "targets": {"trained": 40},
            },
            **admin,
        )
    )["id"]
    person = participant(api, [OWN])
    opened = created(
        api.post(
            "/v1/episodes",
            {
                "participant_id": person,
                "program_id": step,
                "caseworker": "caseworker-1",
                "referral_source": "orphanage graduates service",
                "occurred_on": "2021-12-01",
            },
        )
    )
    ep = f"/v1/episodes/{opened['id']}"
    course = {"title": "Cook", "hours": 16, "format": "mixed", "occurred_on": "2021-12-02"}
    courses = [created(api.post(ep + "/courses", course))["id"] for _ in range(2)]
    before_enrolments = a_moment()
    for each in courses:
        created(api.post(f"{ep}/courses/{each}/enrol", {"occurred_on": "2021-12-10"}))
    service = {"kind": "food_package", "settlement": "Chelyabinsk", "occurred_on": "2021-12-17"}
    last = created(api.post(ep + "/services", service))

    def caseload(**params: str) -> dict[str, Any]:
        answer = api.get("/v1/caseloads/caseworker-1", min_position=last["position"], **params)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    on_the_9th = caseload(as_of="2021-12-09")
    on_the_18th = caseload(as_of="2021-12-18")
    known_before = caseload(as_of="2021-12-18", known_at=before_enrolments)

    assert [e["last_contact"] for e in on_the_9th["episodes"]] == ["2021-12-02"]
    assert [(o["kind"], o["item_id"], o["due"]) for o in on_the_9th["overdue"]] == sorted(
        ("course_not_started", c, "2021-12-07") for c in courses
    )
    assert on_the_9th["as_of"] == "2021-12-09"
    assert [e["last_contact"] for e in on_the_18th["episodes"]] == ["2021-12-17"]
    assert on_the_18th["overdue"] == []
    # Known before the enrolments were recorded: still waiting, whatever day it is asked for.
    assert [o["item_id"] for o in known_before["overdue"]] == sorted(courses)
    assert [e["last_contact"] for e in known_before["episodes"]] == ["2021-12-02"]
    assert known_before["known_at"] is not None
    # Before it opened it was nobody's; the day after it closed it is no longer open.
    assert caseload(as_of="2021-11-30")["episodes"] == []


def test_a_caseload_follows_the_caseworker_assigned_on_the_day(api: Api) -> None:
    world = a_world(api)
    ep = f"/v1/episodes/{world.episode}"
    moved = created(
        api.post(ep + "/caseworker", {"caseworker": "caseworker-2", "occurred_on": day(20)})
    )

    def episodes_of(who: str, as_of: str) -> list[str]:
        answer = api.get(
            f"/v1/caseloads/{who}", role="supervisor", as_of=as_of, min_position=moved["position"]
        )
        assert answer.status_code == 200, answer.text
        return [e["episode_id"] for e in answer.json()["episodes"]]

    assert episodes_of("caseworker-1", day(21)) == [world.episode]
    assert episodes_of("caseworker-2", day(21)) == []
    assert episodes_of("caseworker-1", day(20)) == []
    assert episodes_of("caseworker-2", day(20)) == [world.episode]


def test_an_episode_on_a_day_names_the_curator_of_that_day(api: Api) -> None:
    """Seed 003: who the curator is at any date, and what stood then, as known at a moment."""
    world = a_world(api)
    ep = f"/v1/episodes/{world.episode}"  # opened day(50) by caseworker-1
    created(api.post(ep + "/caseworker", {"caseworker": "curator-anna", "occurred_on": day(40)}))
    course = created(
        api.post(
            ep + "/courses",
            {
                "title": "Household skills",
                "hours": 36,
                "format": "in_person",
                "occurred_on": day(35),
            },
        )
    )["id"]
    created(api.post(f"{ep}/courses/{course}/enrol", {"occurred_on": day(25)}))
    mistaken = created(
        api.post(ep + "/referrals", {"specialist": "lawyer", "occurred_on": day(30)})
    )
    wrong_entry = entry_id(UUID(world.episode), mistaken["version"])
    created(api.post(f"{ep}/entries/{wrong_entry}/void", {"reason": "another person's"}))
    before_boris = a_moment()
    created(api.post(ep + "/caseworker", {"caseworker": "curator-boris", "occurred_on": day(10)}))

    def on(when: str, **params: str) -> dict[str, Any]:
        answer = api.get(ep, on=when, **params)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    curators = {n: on(day(n))["caseworker"] for n in (50, 41, 40, 11, 10, 0)}
    assert curators == {
        50: "caseworker-1",
        41: "caseworker-1",
        40: "curator-anna",
        11: "curator-anna",
        10: "curator-boris",
        0: "curator-boris",
    }
    assert on(day(0), known_at=before_boris)["caseworker"] == "curator-anna"
    assert on(day(0))["on"] == day(0)
    # Items as they stood: the course requested, then enrolled; the voided referral never was.
    assert [(i["id"], i["status"]) for i in on(day(30))["items"]] == [(course, "requested")]
    assert [(i["id"], i["status"]) for i in on(day(25))["items"]] == [(course, "enrolled")]
    assert on(day(36))["items"] == []
    assert on(day(30))["voided_entries"] == 1
    now = api.get(ep).json()
    assert (now["caseworker"], now["on"], now["version"]) == (
        "curator-boris",
        None,
        on(day(0))["version"],
    )
    assert on(day(50))["opened_on"] == day(50)

    not_yet = api.get(ep, on=day(51))
    assert not_yet.status_code == 404
    assert not_yet.headers["content-type"].startswith("application/problem+json")
    assert not_yet.json()["code"] == "not_yet_opened"
    # Another program's caller learns nothing of it, on any day.
    stranger = api.http.get(ep, params={"on": day(0)}, headers=api.as_("caseworker", ["OTHER"]))
    assert stranger.status_code in (403, 404)
    assert "curator" not in stranger.text


def test_an_episode_closed_later_is_open_on_a_day_before(api: Api) -> None:
    world = a_world(api)
    ep = f"/v1/episodes/{world.episode}"
    created(
        api.post(
            ep + "/close",
            {"reason": "goals_achieved", "destination": "own_home", "occurred_on": day(5)},
        )
    )
    assert api.get(ep, on=day(6)).json()["closed_on"] is None
    assert api.get(ep, on=day(5)).json()["closed_on"] == day(5)


def test_a_period_of_occupancy_counts_nights_only_up_to_today(api: Api) -> None:
    """A stay open today does not fill the rest of the month with bed-nights."""
    world = a_world(api)
    placed = created(
        api.post(
            f"/v1/episodes/{world.episode}/placements",
            {"facility_id": world.facility, "occurred_on": day(0)},
        )
    )
    first = TODAY.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    answer = api.get(
        f"/v1/facilities/{world.facility}/occupancy",
        min_position=placed["position"],
        **{"from": first.isoformat(), "to": last.isoformat()},
    )
    assert answer.status_code == 200, answer.text
    month = answer.json()

    assert (month["counted_to"], month["bed_nights"]) == (TODAY.isoformat(), 1)
    assert month["capacity_nights"] == TODAY.day  # one bed a day, the days that have come
    assert month["utilisation"] == round(1 / TODAY.day, 4)
    assert [d["day"] for d in month["days"]][-1] == TODAY.isoformat()
    next_month = api.get(
        f"/v1/facilities/{world.facility}/occupancy",
        **{
            "from": (last + timedelta(days=1)).isoformat(),
            "to": (last + timedelta(days=30)).isoformat(),
        },
    ).json()
    assert (next_month["counted_to"], next_month["bed_nights"], next_month["capacity_nights"]) == (
        None,
        0,
        0,
    )


ODD_DAYS = ["0001-01-01", "9999-12-31"]
BAD_DAYS = ["2021-12-09\x00", "\x00", "2021-02-30", "20211209", "0000-01-01", "10000-01-01"]


@pytest.mark.parametrize("value", BAD_DAYS)
def test_a_date_that_is_not_one_is_refused_as_a_problem(api: Api, value: str) -> None:
    world = a_world(api)
    reads = [
        ("/v1/caseloads/caseworker-1", {"as_of": value}),
        (f"/v1/episodes/{world.episode}", {"on": value}),
        (f"/v1/facilities/{world.facility}/occupancy", {"from": value, "to": "2021-12-31"}),
        ("/v1/reports/services", {"program": world.own, "from": value}),
    ]
    for path, params in reads:
        answer = api.http.get(path, params=params, headers=api.as_("supervisor"))
        assert 400 <= answer.status_code < 500, (path, answer.status_code, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["code"], answer.text


@pytest.mark.parametrize("value", ODD_DAYS)
def test_the_first_and_last_days_a_date_holds_answer(api: Api, value: str) -> None:
    world = a_world(api)
    head = api.log_head()
    caseload = api.get("/v1/caseloads/caseworker-1", as_of=value, min_position=head)
    assert caseload.status_code == 200, caseload.text
    opened = value > day(50)
    assert [e["episode_id"] for e in caseload.json()["episodes"]] == (
        [world.episode] if opened else []
    )
    on = api.get(f"/v1/episodes/{world.episode}", on=value)
    assert on.status_code == (200 if opened else 404), on.text
    if not opened:
        assert on.json()["code"] == "not_yet_opened"
    period = api.get(f"/v1/facilities/{world.facility}/occupancy", **{"from": value, "to": value})
    assert period.status_code == 200, period.text
    assert period.json()["bed_nights"] == 0
    services = api.get(
        "/v1/reports/services", role="supervisor", program=world.own, **{"from": value, "to": value}
    )
    assert services.status_code == 200, services.text
    assert services.json()["rows"] == []
    far = api.get("/v1/caseloads/caseworker-1", as_of=value, known_at="9999-12-31T23:59:59-23:59")
    assert far.status_code == 200, far.text


def test_people_in_the_services_report_over_http(api: Api) -> None:
    """The same person served in two months is one person over both (two, month by month)."""
    world = a_world(api)
    ep = f"/v1/episodes/{world.episode}"
    for n in (20, 3):
        last = created(
            api.post(
                ep + "/services",
                {"kind": "home_care", "settlement": "Kopeysk", "occurred_on": day(n)},
            )
        )
    second = episode(api, participant(api, [OWN], name="Vera Ivanova"), world.own, [OWN])
    last = created(
        api.post(
            f"/v1/episodes/{second}/services",
            {"kind": "home_care", "settlement": "Kopeysk", "occurred_on": day(3)},
        )
    )
    rows = api.get(
        "/v1/reports/services",
        role="analyst",
        program=world.own,
        by="kind",
        min_position=last["position"],
        **{"from": day(30), "to": day(0)},
    ).json()["rows"]
    assert rows == [{"kind": "home_care", "services": 3, "quantity": 3, "people": 2}]
