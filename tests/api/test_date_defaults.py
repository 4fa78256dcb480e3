"""A command's date left out is today's, and a retry of it with its key replays the first
answer on any later day: the fingerprint holds the date as sent (left out), not as resolved."""

from __future__ import annotations

from datetime import timedelta

from tests.api.conftest import Api
from tests.api.world import TODAY, a_world, day


def test_a_service_sent_without_a_date_happened_today(api: Api) -> None:
    world = a_world(api)
    ep = f"/v1/episodes/{world.episode}"

    sent = api.post(ep + "/services", {"kind": "home_care", "settlement": "Kopeysk"})

    assert sent.status_code == 201, sent.text
    items = api.get(ep + "/history").json()["items"]
    (line,) = [i for i in items if i["event_id"] == sent.json()["event_id"]]
    assert line["occurred_on"] == TODAY.isoformat()
    assert "occurred_on" not in line["data"]


def test_a_retry_on_a_later_day_of_a_body_without_a_date_replays_the_first(api: Api) -> None:
    world = a_world(api)
    ep = f"/v1/episodes/{world.episode}"
    body = {"kind": "home_care", "settlement": "Kopeysk"}
    first = api.post(ep + "/services", body, **{"Idempotency-Key": "s-1"})
    head = api.log_head()
    clock = api.ledger.clock
    api.ledger.clock = lambda: TODAY + timedelta(days=1)  # the app's clock: tomorrow
    try:
        again = api.post(ep + "/services", body, **{"Idempotency-Key": "s-1"})
    finally:
        api.ledger.clock = clock

    assert (first.status_code, again.status_code) == (201, 200), again.text
    assert again.json() == first.json()
    assert api.log_head() == head
    items = api.get(ep + "/history").json()["items"]
    assert [i["occurred_on"] for i in items if i["type"] == "ServiceDelivered"] == [day(0)]


def test_the_same_key_with_the_date_spelled_out_is_another_request(api: Api) -> None:
    world = a_world(api)
    ep = f"/v1/episodes/{world.episode}"
    body = {"kind": "home_care", "settlement": "Kopeysk"}
    assert api.post(ep + "/services", body, **{"Idempotency-Key": "s-2"}).status_code == 201

    dated = api.post(
        ep + "/services", {**body, "occurred_on": day(0)}, **{"Idempotency-Key": "s-2"}
    )

    assert dated.status_code == 422
    assert dated.json()["code"] == "idempotency_key_reused"


def test_a_date_sent_is_kept_and_fingerprinted_as_before(api: Api) -> None:
    world = a_world(api)
    ep = f"/v1/episodes/{world.episode}"
    body = {"kind": "home_care", "settlement": "Kopeysk", "occurred_on": day(3)}
    first = api.post(ep + "/services", body, **{"Idempotency-Key": "s-3"})
    again = api.post(ep + "/services", body, **{"Idempotency-Key": "s-3"})
    assert (first.status_code, again.status_code) == (201, 200)
    items = api.get(ep + "/history").json()["items"]
    assert [i["occurred_on"] for i in items if i["type"] == "ServiceDelivered"] == [day(3)]
