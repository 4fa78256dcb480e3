"""Erasure: the person's data is gone from the whole database, while counts and rebuilds hold."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from projections.rebuild import rebuild
from projections.registry import READ_MODELS
from tests.api.conftest import OWN, Api
from tests.api.world import a_world, day, episode, participant

ERASED = {
    "full_name": "Zinaida Erasova",
    "snils": "112-233-445 95",
    "phone": "+7 912 345 67 89",
    "address": "Sadovaya street 17, Kunashak",
}
SNILS_DIGITS = "11223344595"


def whole_database(api: Api) -> bytes:
    """Everything the store holds: a pg_dump of the schema, or every SQLite file byte for byte."""
    url = urlsplit(api.settings.database_url)
    if url.scheme == "sqlite":
        folder = Path(url.path[1:]).parent
        return b"".join(f.read_bytes() for f in sorted(folder.iterdir()) if "sqlite3" in f.name)
    schema = parse_qs(url.query)["schema"][0]
    dump = subprocess.run(
        ["pg_dump", "-h", url.hostname or "127.0.0.1", "-p", str(url.port or 5432),
         "-U", url.username or "postgres", "-n", schema, url.path.lstrip("/")],
        check=True, capture_output=True,
    )  # fmt: skip
    return dump.stdout


def forms(value: str) -> list[bytes]:
    """The ways a value could sit in a dump: plain, JSON-escaped, case-folded."""
    return [
        value.encode(), value.lower().encode(), value.upper().encode(),
        json.dumps(value).encode(), json.dumps(value, ensure_ascii=True).encode(),
    ]  # fmt: skip


def test_erasure_removes_the_person_everywhere_and_keeps_every_count(api: Api) -> None:
    world = a_world(api)
    erased = api.http.post(
        "/v1/participants", headers=api.as_("caseworker"),
        json={"target_groups": ["homeless"], "settlement": "Kunashak", "birth_year": 1968,
              "prior_residence": "street", "personal_data": {**ERASED, "birth_date": "1968-03-08"}},
    ).json()["id"]  # fmt: skip
    api.post(
        f"/v1/participants/{erased}/consents",
        {"scope": "services", "document_ref": "C-9", "occurred_on": day(30)},
    )
    api.post(
        f"/v1/participants/{erased}/personal-data/corrections",
        {"changes": {"phone": ERASED["phone"]}, "reason": "confirmed", "occurred_on": day(29)},
    )
    their_episode = episode(api, erased, world.own, [OWN])
    last = api.post(
        f"/v1/episodes/{their_episode}/placements",
        {"facility_id": world.facility, "occurred_on": day(20)},
    )
    report_query = {"program": world.own, "from": day(400), "to": day(0)}
    before = api.get(
        "/v1/reports/outcomes", **report_query, min_position=last.json()["position"]
    ).json()

    answer = api.post(
        f"/v1/participants/{erased}/erase", {"reason": "the person asked (art. 21)"}, role="admin"
    )
    assert answer.status_code == 201, answer.text

    dump = whole_database(api)
    for value in (*ERASED.values(), SNILS_DIGITS, "Zinaida", "Erasova", "Sadovaya"):
        for form in forms(value):
            assert form not in dump, value
    after = api.get(
        "/v1/reports/outcomes", **report_query, min_position=answer.json()["position"]
    ).json()
    assert json.dumps(after["indicators"]).encode() == json.dumps(before["indicators"]).encode()
    person = api.get(f"/v1/participants/{erased}", role="admin").json()
    assert person["personal_data"] == {"erased": True}
    history = api.get(
        f"/v1/participants/{erased}/history", role="admin", limit=500, reason="erasure check"
    ).json()["items"]
    sealed = [i for i in history if i["aggregate"] == "personal_data"]
    assert [i["type"] for i in sealed] == ["Recorded", "Corrected"]
    assert sealed[0]["data"]["fields"] == {"erased": True}
    assert "Zinaida" not in json.dumps(history)
    other = api.get(f"/v1/participants/{world.participant}").json()
    assert other["personal_data"]["full_name"] == "Anna Petrova"
    correction = api.post(
        f"/v1/participants/{erased}/personal-data/corrections",
        {"changes": {"phone": "1"}, "reason": "x", "occurred_on": day(1)},
    )
    assert (correction.status_code, correction.json()["code"]) == (409, "participant_erased")

    components = api.app.state.components
    for model in READ_MODELS.values():
        rebuild(components.ledger, components.store, model)
    rebuilt = api.get("/v1/reports/outcomes", **report_query).json()
    assert rebuilt["indicators"] == before["indicators"]


def test_personal_data_is_sealed_in_the_store_even_before_erasure(api: Api) -> None:
    person = participant(api, [OWN], name="Varvara Sealed")
    shown = api.get(f"/v1/participants/{person}", role="admin", reason="check the seal").json()
    assert shown["personal_data"]["full_name"] == "Varvara Sealed"
    dump = whole_database(api)
    for form in forms("Varvara Sealed") + forms(SNILS_DIGITS):
        assert form not in dump
