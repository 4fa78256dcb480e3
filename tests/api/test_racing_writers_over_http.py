"""Clients racing on one episode or for one facility's beds, over HTTP: without If-Match every
command is written or refused by a rule; `concurrent_write` only when a race cannot be won
within the bound, with Retry-After; with If-Match a stale command is refused at once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import httpx
import pytest

from api.bootstrap import ledger_for
from domain.base import Actor
from domain.commands import Context
from domain.facility import Facility
from store import cooperative
from tests.api.conftest import OWN, Api
from tests.api.world import TODAY, a_world, day, episode, facility, participant

ELSEWHERE = Context(Actor("caseworker-2", "caseworker", "req-elsewhere"))


def settlements(api: Api, episode_id: str) -> Counter[str]:
    """How often each settlement occurs among the episode's stored service events."""
    events = api.ledger.events.get(UUID(episode_id))
    return Counter(e.settlement for e in events if type(e).__name__ == "ServiceDelivered")


def race(api: Api, clients: int, send: Any) -> list[Any]:
    """Each client on its own connection and thread, started at the same moment."""
    barrier = threading.Barrier(clients)
    answers: list[Any] = [None] * clients

    def client(i: int) -> None:
        with httpx.Client(base_url=api.url, timeout=60) as http:
            barrier.wait()
            answers[i] = send(http, i)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return answers


@pytest.mark.parametrize(("clients", "each"), [(2, 200), (8, 60)])
def test_clients_racing_on_one_episode_without_if_match_all_get_201_and_each_event_once(
    api: Api, clients: int, each: int
) -> None:
    world = a_world(api)
    headers = api.as_("caseworker")

    def send(http: httpx.Client, i: int) -> dict[str, httpx.Response]:
        return {
            f"c{i}-{n}": http.post(
                f"/v1/episodes/{world.episode}/services",
                json={"kind": "home_care", "settlement": f"c{i}-{n}", "occurred_on": day(1)},
                headers=headers,
            )
            for n in range(each)
        }

    answers = {tag: a for part in race(api, clients, send) for tag, a in part.items()}

    refused = {tag: (a.status_code, a.text) for tag, a in answers.items() if a.status_code != 201}
    assert refused == {}
    assert settlements(api, world.episode) == Counter(list(answers))
    versions = [a.json()["version"] for a in answers.values()]
    assert len(set(versions)) == len(versions)


def placing(api: Api, episodes: list[str], hotel: str) -> Any:
    """What client `i` sends: a place in the hotel for the `i`th episode."""
    headers = api.as_("caseworker")

    def send(http: httpx.Client, i: int) -> httpx.Response:
        return http.post(
            f"/v1/episodes/{episodes[i]}/placements",
            json={"facility_id": hotel, "occurred_on": day(1)},
            headers=headers,
        )

    return send


def test_clients_racing_for_several_free_beds_get_a_bed_or_hear_none_is_free(api: Api) -> None:
    world = a_world(api)
    beds, racers = 3, 8
    for _ in range(2):
        hotel = facility(api, capacity=beds)
        people = [participant(api, [OWN]) for _ in range(racers)]
        episodes = [episode(api, person, world.own, [OWN]) for person in people]
        answers = race(api, racers, placing(api, episodes, hotel))

        statuses = sorted(a.status_code for a in answers)
        assert statuses == [201] * beds + [409] * (racers - beds), [a.text for a in answers]
        refused = [a.json()["code"] for a in answers if a.status_code == 409]
        assert refused == ["bed_unavailable"] * (racers - beds)
        stays = api.ledger.load(Facility, UUID(hotel)).stays
        placed = [a.json()["id"] for a in answers if a.status_code == 201]
        assert sorted(stays) == sorted(UUID(p).hex for p in placed)


@contextmanager
def another_process_writing_between_decision_and_save(
    api: Api, episode_id: str
) -> Iterator[list[int]]:
    """Every time the API has read the episode to decide a command on it, another process's
    writer changes the episode before the command is saved: the command loses every race."""
    other = ledger_for(api.settings)
    ledger, load = api.ledger, api.ledger.load
    writes: list[int] = []

    def write() -> None:
        other.deliver_service(
            ELSEWHERE,
            UUID(episode_id),
            kind="transport",
            quantity=1,
            settlement="elsewhere",
            occurred_on=TODAY,
        )
        writes.append(1)

    def load_then_lose(cls: type, aggregate_id: UUID, *args: Any, **kwargs: Any) -> Any:
        aggregate = load(cls, aggregate_id, *args, **kwargs)
        if aggregate_id == UUID(episode_id) and kwargs.get("saved_again"):
            cooperative.blocking(write)  # the command pauses; the loop serves others
        return aggregate

    ledger.load = load_then_lose
    try:
        yield writes
    finally:
        del ledger.load
        other.close()


def test_a_command_that_cannot_win_its_race_hears_concurrent_write_with_retry_after(
    api: Api,
) -> None:
    world = a_world(api)
    ep = f"/v1/episodes/{world.episode}"
    api.ledger.writes.retry_seconds = 0.5
    body = {"kind": "home_care", "settlement": "racer", "occurred_on": day(1)}

    with another_process_writing_between_decision_and_save(api, world.episode) as writes:
        refused = api.post(ep + "/services", body)

    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "concurrent_write"
    assert refused.headers["Retry-After"] == "1"
    assert len(writes) > 3  # decided again and again within the bound, not three times
    assert settlements(api, world.episode) == Counter({"elsewhere": len(writes)})
    # Once the other writer stops, the same command goes through.
    again = api.post(ep + "/services", body)
    assert again.status_code == 201, again.text
    assert "Retry-After" not in again.headers


def test_a_command_pinned_by_if_match_that_loses_its_race_is_refused_at_once(api: Api) -> None:
    world = a_world(api)
    ep = f"/v1/episodes/{world.episode}"
    version = api.get(ep).json()["version"]
    body = {"kind": "home_care", "settlement": "racer", "occurred_on": day(1)}

    with another_process_writing_between_decision_and_save(api, world.episode) as writes:
        stale = api.post(ep + "/services", body, **{"If-Match": f'"{version}"'})

    assert (stale.status_code, stale.json()["code"]) == (412, "stale_version")
    assert "Retry-After" not in stale.headers
    assert len(writes) == 1  # decided once: the caller decides what to do with the news
    assert settlements(api, world.episode) == Counter({"elsewhere": 1})
