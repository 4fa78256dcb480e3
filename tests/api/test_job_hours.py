"""A job's hours a week through HTTP: sent or left out, shown in the episode's history, and
refused as the schema states when they are not a whole number from 1 to 80."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api
from tests.api.world import a_world, day

JOB = {"employment": "supported_workshop", "occupation": "packer", "occurred_on": day(3)}


def _started(api: Api, episode: str) -> dict[str, Any]:
    """Each JobStarted of the episode's history, by its job id: its data."""
    history = api.get(f"/v1/episodes/{episode}/history")
    assert history.status_code == 200, history.text
    return {
        line["data"]["job_id"]: line["data"]
        for line in history.json()["items"]
        if line["type"] == "JobStarted"
    }


def test_hours_a_week_sent_with_a_job_are_recorded_and_left_out_are_not_known(api: Api) -> None:
    world = a_world(api)
    jobs = f"/v1/episodes/{world.episode}/jobs"

    part_time = api.post(jobs, {**JOB, "hours_per_week": 20})
    unknown = api.post(jobs, JOB)
    sent_null = api.post(jobs, {**JOB, "hours_per_week": None})

    for answer in (part_time, unknown, sent_null):
        assert answer.status_code == 201, answer.text
    started = _started(api, world.episode)
    assert [started[a.json()["id"]]["hours_per_week"] for a in (part_time, unknown, sent_null)] == [
        20,
        None,
        None,
    ]
    assert started[part_time.json()["id"]] == {
        "job_id": part_time.json()["id"],
        "employment": "supported_workshop",
        "occupation": "packer",
        "hours_per_week": 20,
    }


def test_hours_a_week_that_are_not_a_whole_1_to_80_are_refused_as_the_schema_says(
    api: Api,
) -> None:
    world = a_world(api)
    document = api.http.get("/openapi.json").json()
    stated = document["components"]["schemas"]["JobBody"]["properties"]["hours_per_week"]
    assert {"type": "integer", "minimum": 1, "maximum": 80} in stated["anyOf"]
    assert "not known" in stated["description"]
    head = api.log_head()

    for hours in (0, 81, "x", "20", 7.5, True):
        refused = api.post(f"/v1/episodes/{world.episode}/jobs", {**JOB, "hours_per_week": hours})

        assert refused.status_code == 422, (hours, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "invalid_request"
        assert [e["loc"][:2] for e in refused.json()["errors"]] == [["body", "hours_per_week"]]
    assert api.log_head() == head
    assert _started(api, world.episode) == {}
