"""Every command's answer names what it wrote: the record (`aggregate_id`, whose `version` it
is) and the event (`event_id`, as history lines name it), the same on an idempotent replay."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from tests.api.conftest import Api
from tests.api.world import a_world, day


def history(api: Api, episode: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.get(f"/v1/episodes/{episode}/history").json()["items"]
    return items


def test_the_event_id_a_delivered_service_answers_voids_it(api: Api) -> None:
    world = a_world(api)
    ep = f"/v1/episodes/{world.episode}"
    sent = api.post(ep + "/services", {"kind": "home_care", "settlement": "Kopeysk"})
    assert sent.status_code == 201, sent.text
    answer = sent.json()
    assert answer["id"] == answer["aggregate_id"] == world.episode
    assert answer["event_id"] == str(uuid5(UUID(world.episode), str(answer["version"])))

    voided = api.post(f"{ep}/entries/{answer['event_id']}/void", {"reason": "wrong person"})

    assert voided.status_code == 201, voided.text
    lines = {line["event_id"]: line for line in history(api, world.episode)}
    assert lines[answer["event_id"]]["type"] == "ServiceDelivered"
    assert lines[answer["event_id"]]["voided"] is True
    assert lines[voided.json()["event_id"]]["type"] == "EntryVoided"


def test_a_track_step_answers_the_track_and_the_episode_event_that_made_it(api: Api) -> None:
    world = a_world(api)
    ep = f"/v1/episodes/{world.episode}"
    placed = api.post(ep + "/placements", {"facility_id": world.facility, "occurred_on": day(3)})
    assert placed.status_code == 201, placed.text
    answer = placed.json()

    assert answer["aggregate_id"] == world.episode != answer["id"]
    episode = api.get(ep).json()
    assert [item["id"] for item in episode["items"]] == [answer["id"]]
    assert episode["version"] == answer["version"]
    line = {line["event_id"]: line for line in history(api, world.episode)}[answer["event_id"]]
    assert (line["type"], line["data"]["placement_id"]) == ("PlacementStarted", answer["id"])


def test_a_correction_names_the_event_in_the_persons_data(api: Api) -> None:
    world = a_world(api)
    sent = api.post(
        f"/v1/participants/{world.participant}/personal-data/corrections",
        {"changes": {"phone": "+7 900 222"}, "reason": "new phone", "occurred_on": day(0)},
    )
    assert sent.status_code == 201, sent.text
    answer = sent.json()
    assert answer["id"] == world.participant != answer["aggregate_id"]
    lines = api.get(f"/v1/participants/{world.participant}/history").json()["items"]
    (line,) = [line for line in lines if line["event_id"] == answer["event_id"]]
    assert (line["aggregate"], line["aggregate_id"]) == ("personal_data", answer["aggregate_id"])
    assert line["version"] == answer["version"]


def test_a_replay_answers_what_the_first_answer_named(api: Api) -> None:
    world = a_world(api)
    ep = f"/v1/episodes/{world.episode}"
    body = {"title": "Cooking", "hours": 16, "format": "in_person", "occurred_on": day(2)}
    first = api.post(ep + "/courses", body, **{"Idempotency-Key": "course-1"})
    head = api.log_head()

    again = api.post(ep + "/courses", body, **{"Idempotency-Key": "course-1"})

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert set(first.json()) == {"id", "version", "position", "aggregate_id", "event_id"}
    assert api.log_head() == head


def test_a_batch_answers_what_each_command_wrote(api: Api) -> None:
    world = a_world(api)
    ep = f"/v1/episodes/{world.episode}"
    sent = api.post(
        "/v1/batch",
        {
            "commands": [
                {
                    "path": ep + "/services",
                    "body": {"kind": "home_care", "settlement": "Kopeysk"},
                    "idempotency_key": "b-1",
                }
            ]
        },
    )
    assert sent.status_code == 200, sent.text
    (result,) = sent.json()["results"]
    answer = result["result"]
    assert answer["aggregate_id"] == world.episode
    lines = {line["event_id"]: line for line in history(api, world.episode)}
    assert lines[answer["event_id"]]["type"] == "ServiceDelivered"
