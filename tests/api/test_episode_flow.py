"""A whole episode from intake to closure through HTTP, then its history and the read models."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api
from tests.api.world import a_world, day


def created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    assert response.headers["ETag"] == f'"{response.json()["version"]}"'
    assert response.headers["Location"].startswith("/v1/")
    body: dict[str, Any] = response.json()
    return body


def test_an_episode_from_intake_to_closure_and_what_everyone_then_reads(api: Api) -> None:
    world = a_world(api)
    ep = f"/v1/episodes/{world.episode}"
    admin_post = lambda path, body: created(api.post(path, body, role="admin"))  # noqa: E731
    post = lambda path, body: created(api.post(path, body))  # noqa: E731

    admin_post(
        f"/v1/programs/{world.own}/targets", {"targets": {"housed": 60}, "reason": "grant amended"}
    )
    admin_post(
        f"/v1/facilities/{world.facility}/capacity",
        {"capacity": 2, "reason": "room", "occurred_on": day(40)},
    )
    post(
        f"/v1/participants/{world.participant}/institutional-events",
        {"event": "application_withdrawn", "institution_kind": "orphanage", "occurred_on": day(45)},
    )
    post(
        f"/v1/participants/{world.participant}/personal-data/corrections",
        {"changes": {"phone": "+7 900 222"}, "reason": "new phone", "occurred_on": day(45)},
    )
    post(ep + "/caseworker", {"caseworker": "caseworker-1", "occurred_on": day(45)})
    post(
        ep + "/assessments",
        {"stage": "intake", "instrument": "SRS", "scores": {"autonomy": 2}, "occurred_on": day(45)},
    )
    post(ep + "/plans", {"goals": ["own flat", "a job"], "occurred_on": day(44)})
    referral = post(ep + "/referrals", {"specialist": "psychologist", "occurred_on": day(44)})["id"]
    post(f"{ep}/referrals/{referral}/accept", {"occurred_on": day(43)})
    post(f"{ep}/referrals/{referral}/complete", {"occurred_on": day(40)})
    declined = post(ep + "/referrals", {"specialist": "lawyer", "occurred_on": day(44)})["id"]
    post(f"{ep}/referrals/{declined}/decline", {"reason": "no slots", "occurred_on": day(42)})
    placement = post(ep + "/placements", {"facility_id": world.facility, "occurred_on": day(40)})[
        "id"
    ]
    course = post(
        ep + "/courses",
        {"title": "Seamstress", "hours": 72, "format": "mixed", "occurred_on": day(39)},
    )["id"]
    post(f"{ep}/courses/{course}/enrol", {"occurred_on": day(36)})
    post(f"{ep}/courses/{course}/complete", {"occurred_on": day(20)})
    dropped = post(
        ep + "/courses",
        {"title": "Cook", "hours": 16, "format": "distance", "occurred_on": day(39)},
    )["id"]
    post(f"{ep}/courses/{dropped}/drop", {"reason": "moved away", "occurred_on": day(30)})
    job = post(
        ep + "/jobs",
        {"employment": "supported_workshop", "occupation": "seamstress", "occurred_on": day(15)},
    )["id"]
    post(f"{ep}/jobs/{job}/end", {"reason": "moved to open market", "occurred_on": day(10)})
    post(
        ep + "/jobs",
        {"employment": "open_market", "occupation": "seamstress", "occurred_on": day(9)},
    )
    service = post(
        ep + "/services",
        {
            "kind": "food_package",
            "quantity": 2,
            "settlement": "Chelyabinsk",
            "occurred_on": day(38),
        },
    )
    wrong = post(
        ep + "/services", {"kind": "transport", "settlement": "Chelyabinsk", "occurred_on": day(37)}
    )
    history = api.get(ep + "/history").json()["items"]
    wrong_id = next(i["event_id"] for i in history if i["version"] == wrong["version"])
    post(f"{ep}/entries/{wrong_id}/void", {"reason": "entered for the wrong person"})
    post(ep + "/mentors", {"mentor_staff": "volunteer-12", "occurred_on": day(8)})
    post(
        f"{ep}/placements/{placement}/end",
        {"destination": "training_apartment", "occurred_on": day(7)},
    )
    post(
        ep + "/assessments",
        {"stage": "final", "instrument": "SRS", "scores": {"autonomy": 4}, "occurred_on": day(6)},
    )
    closed = post(
        ep + "/close",
        {"reason": "goals_achieved", "destination": "independent_living", "occurred_on": day(5)},
    )

    episode = api.get(ep).json()
    assert episode["closed_on"] == day(5)
    assert {(i["kind"], i["status"]) for i in episode["items"]} == {
        ("referral", "completed"),
        ("referral", "declined"),
        ("placement", "ended"),
        ("course", "completed"),
        ("course", "dropped"),
        ("job", "ended"),
        ("job", "started"),
    }
    history = api.get(ep + "/history", limit=500).json()["items"]
    assert [i["type"] for i in history][:2] == ["Opened", "CaseworkerAssigned"]
    assert history[-1]["type"] == "Closed"
    assert [i["voided"] for i in history if i["event_id"] == wrong_id] == [True]
    assert all(i["recorded_by"] == "caseworker-1" and i["request_id"] for i in history)
    person = api.get(f"/v1/participants/{world.participant}").json()
    assert person["personal_data"]["phone"] == "+7 900 222"
    assert person["episodes"] == {world.own: [world.episode]}

    position = closed["position"]
    caseload = api.get("/v1/caseloads/caseworker-1", min_position=position).json()
    assert world.episode not in {e["episode_id"] for e in caseload["episodes"]}
    outcomes = api.get(
        "/v1/reports/outcomes",
        program=world.own,
        min_position=position,
        **{"from": day(400), "to": day(0)},
    ).json()
    counts = {i["indicator"]: (i["count"], i["target"]) for i in outcomes["indicators"]}
    assert counts["served"] == (1, 200)
    assert counts["housed"] == (1, 60)
    assert counts["consulted"] == (1, 150)
    assert counts["trained"] == (1, 40)
    assert counts["employed_supported_workshop"][0] == counts["employed_open_market"][0] == 1
    assert counts["applications_withdrawn"][0] == 1
    services = api.get(
        "/v1/reports/services", program=world.own, by="kind", min_position=position
    ).json()
    assert services["rows"] == [{"kind": "food_package", "services": 1, "quantity": 2, "people": 1}]
    assert service["position"] < position
    period = api.get(
        f"/v1/facilities/{world.facility}/occupancy",
        min_position=position,
        **{"from": day(41), "to": day(6)},
    ).json()
    assert period["bed_nights"] == 33  # nights day(40) .. day(8)
    csv = api.http.get(
        "/v1/reports/services",
        params={"program": world.own},
        headers={**api.as_("analyst"), "Accept": "text/csv"},
    )
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0] == "kind,settlement,month,services,quantity,people"
