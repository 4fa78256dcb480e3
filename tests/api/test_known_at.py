"""A report as known at a moment answers exactly what it said at that moment."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.api.conftest import Api
from tests.api.world import a_world, day


def test_a_report_as_known_at_t_is_the_report_of_t_byte_for_byte(api: Api) -> None:
    world = a_world(api)
    ep = f"/v1/episodes/{world.episode}"
    job = api.post(
        ep + "/jobs", {"employment": "open_market", "occupation": "cleaner", "occurred_on": day(30)}
    )
    query = {"program": world.own, "from": day(60), "to": day(0)}
    then = api.get("/v1/reports/outcomes", **query, min_position=job.json()["position"])
    moment = datetime.now(UTC).isoformat()

    # Recorded later: a back-dated placement, a back-dated closure of another episode, a voiding.
    api.post(ep + "/placements", {"facility_id": world.facility, "occurred_on": day(40)})
    history = api.get(ep + "/history").json()["items"]
    job_entry = next(i["event_id"] for i in history if i["type"] == "JobStarted")
    api.post(f"{ep}/entries/{job_entry}/void", {"reason": "the job offer fell through"})
    last = api.post(
        "/v1/programs/" + world.own + "/targets",
        {"targets": {"housed": 99}, "reason": "r"},
        role="admin",
    )

    now = api.get("/v1/reports/outcomes", **query, min_position=last.json()["position"])
    as_then = api.get("/v1/reports/outcomes", **query, known_at=moment)

    assert as_then.status_code == 200, as_then.text
    assert as_then.content == then.content
    counts_now = {i["indicator"]: (i["count"], i["target"]) for i in now.json()["indicators"]}
    counts_then = {i["indicator"]: (i["count"], i["target"]) for i in then.json()["indicators"]}
    assert (counts_then["housed"], counts_now["housed"]) == ((0, 50), (1, 99))
    assert (counts_then["employed"][0], counts_now["employed"][0]) == (1, 0)


def test_participant_history_as_known_at_leaves_out_later_entries(api: Api) -> None:
    world = a_world(api)
    moment = datetime.now(UTC).isoformat()
    api.post(
        f"/v1/episodes/{world.episode}/mentors", {"mentor_staff": "v-1", "occurred_on": day(45)}
    )
    then = api.get(
        f"/v1/participants/{world.participant}/history", known_at=moment, limit=500
    ).json()
    now = api.get(f"/v1/participants/{world.participant}/history", limit=500).json()
    assert [i["type"] for i in now["items"]][-1] == "MentorAssigned"
    assert "MentorAssigned" not in [i["type"] for i in then["items"]]
    assert now["items"][: len(then["items"])] == then["items"]
