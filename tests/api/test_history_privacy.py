"""A person's record and history show each caller only what they may read, with sealed values
masked wherever they surface."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import Mapper

from domain.participant import Participant
from tests.api.conftest import OTHER, OWN, Api
from tests.api.world import day, episode, participant, program

# Free text only program OTHER's staff may see, and the sealed reasons of the person's stream.
OTHER_INSTRUMENT = "Addiction severity index, the other program's own"


@dataclass
class TwoPrograms:
    """One person with an episode in each of two programs; the other one has a referral and an
    assessment with scores."""

    own: str
    other: str
    person: str
    own_episode: str
    other_episode: str


@pytest.fixture
def two(api: Api) -> TwoPrograms:
    own, other = program(api, OWN), program(api, OTHER)
    person = participant(api, [OWN, OTHER])
    own_episode = episode(api, person, own, [OWN])
    # Opening an episode takes a caseworker of every program the person is already in.
    other_episode = episode(api, person, other, [OWN, OTHER])
    both = api.as_("caseworker", [OTHER])
    for path, body in (
        ("referrals", {"specialist": "psychologist", "occurred_on": day(40)}),
        (
            "assessments",
            {"stage": "intake", "instrument": OTHER_INSTRUMENT, "scores": {"risk": 17},
             "occurred_on": day(40)},
        ),
    ):  # fmt: skip
        answer = api.http.post(f"/v1/episodes/{other_episode}/{path}", json=body, headers=both)
        assert answer.status_code == 201, answer.text
    return TwoPrograms(own, other, person, own_episode, other_episode)


def history(api: Api, person: str, headers: dict[str, str], **params: Any) -> list[Any]:
    answer = api.http.get(
        f"/v1/participants/{person}/history", params={"limit": 500, **params}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    items: list[Any] = answer.json()["items"]
    return items


def test_caseworker_of_one_program_sees_no_event_of_anothers_episode(
    api: Api, two: TwoPrograms
) -> None:
    own_caseworker = api.as_("caseworker", [OWN])
    refused = api.http.get(f"/v1/episodes/{two.other_episode}", headers=own_caseworker)
    assert refused.status_code == 403

    lines = history(api, two.person, own_caseworker)
    text = str(lines)

    assert {line["aggregate_id"] for line in lines if line["aggregate"] == "episode"} == {
        two.own_episode
    }
    for secret in (two.other_episode, two.other.replace("-", ""), two.other, OTHER_INSTRUMENT):
        assert secret not in text, secret
    assert not [line for line in lines if line["type"] in ("ReferralMade", "AssessmentRecorded")]
    joined = [line["data"]["program_id"] for line in lines if line["type"] == "JoinedProgram"]
    assert joined == [two.own]


def test_each_caller_sees_in_a_persons_history_exactly_the_episodes_it_may_read_directly(
    api: Api, two: TwoPrograms
) -> None:
    callers = {
        "caseworker of own": api.as_("caseworker", [OWN]),
        "caseworker of other": api.as_("caseworker", [OTHER]),
        "caseworker of both": api.as_("caseworker", [OWN, OTHER]),
        "supervisor of other": api.as_("supervisor", [OTHER]),
        "auditor of own": api.as_("auditor", [OWN]),
        "auditor of all": api.as_("auditor", ["*"]),
        "admin": api.as_("admin"),
    }
    for who, headers in callers.items():
        readable = {
            episode_id
            for episode_id in (two.own_episode, two.other_episode)
            if api.http.get(f"/v1/episodes/{episode_id}", headers=headers).status_code == 200
        }
        lines = history(api, two.person, headers)
        seen = {line["aggregate_id"] for line in lines if line["aggregate"] == "episode"}
        assert seen == readable, who
        for episode_id in readable:  # each readable episode whole, as its own history shows it
            own_history = api.http.get(
                f"/v1/episodes/{episode_id}/history", params={"limit": 500}, headers=headers
            ).json()["items"]
            assert [line for line in lines if line["aggregate_id"] == episode_id] == own_history
        record = api.http.get(f"/v1/participants/{two.person}", headers=headers).json()
        named = {ep for ids in record["episodes"].values() for ep in ids}
        assert named == set(readable), who


def test_a_persons_record_names_no_episode_or_program_the_caller_may_not_read(
    api: Api, two: TwoPrograms
) -> None:
    answer = api.http.get(f"/v1/participants/{two.person}", headers=api.as_("caseworker", [OWN]))
    assert answer.status_code == 200, answer.text
    assert answer.json()["episodes"] == {two.own: [two.own_episode]}
    for secret in (two.other_episode, two.other):
        assert secret.replace("-", "") not in answer.text
        assert secret not in answer.text


CORRECTION_REASON = "Phone given by her sister Olga at the Kopeysk office"
DOCUMENT_REF = "Consent form with passport 7505 123456"
ERASURE_REASON = "Asked in person by Anna Petrova, letter of 3 March"
SEALED_TEXTS = (CORRECTION_REASON, DOCUMENT_REF, ERASURE_REASON)


def stored_states(api: Api) -> list[bytes]:
    """The `state` of every row of the event table, as stored."""
    rows = api.ledger.recorder.select_notifications(start=1, limit=1_000_000)
    return [bytes(row.state) for row in rows]


def a_person_with_sealed_text(api: Api) -> str:
    """A person in program OWN with a consent document and a correction of their data."""
    person = participant(api, [OWN])
    episode(api, person, program(api, OWN), [OWN])
    for path, body in (
        ("consents", {"scope": "housing", "document_ref": DOCUMENT_REF, "occurred_on": day(5)}),
        (
            "personal-data/corrections",
            {"changes": {"phone": "+7 900 222"}, "reason": CORRECTION_REASON,
             "occurred_on": day(4)},
        ),
    ):  # fmt: skip
        answer = api.post(f"/v1/participants/{person}/{path}", body)
        assert answer.status_code == 201, answer.text
    return person


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_masked_history_shows_no_sealed_value_anywhere_in_a_line(api: Api, role: str) -> None:
    person = a_person_with_sealed_text(api)

    lines = history(api, person, api.as_(role))

    for text in (*SEALED_TEXTS, "+7 900 222", "Anna Petrova"):
        assert text not in str(lines), text
    correction = next(line for line in lines if line["type"] == "Corrected")
    assert correction["reason"] == "***"
    assert correction["data"]["changes"] == "***"
    consent = next(line for line in lines if line["data"].get("scope") == "housing")
    assert consent["data"]["document_ref"] == "***"


@pytest.mark.parametrize(("role", "reason"), [("caseworker", None), ("auditor", "audit 7")])
def test_history_on_a_need_to_know_shows_the_sealed_values(
    api: Api, role: str, reason: str | None
) -> None:
    person = a_person_with_sealed_text(api)

    lines = history(api, person, api.as_(role), **({"reason": reason} if reason else {}))

    correction = next(line for line in lines if line["type"] == "Corrected")
    assert (correction["reason"], correction["data"]["reason"]) == (CORRECTION_REASON,) * 2
    assert correction["data"]["changes"] == {"phone": "+7 900 222"}
    consent = next(line for line in lines if line["data"].get("scope") == "housing")
    assert consent["data"]["document_ref"] == DOCUMENT_REF


def test_free_text_about_a_person_is_stored_sealed_and_reads_as_erased_after_erasure(
    api: Api,
) -> None:
    person = a_person_with_sealed_text(api)
    erased = api.post(f"/v1/participants/{person}/erase", {"reason": ERASURE_REASON}, role="admin")
    assert erased.status_code == 201, erased.text

    states = stored_states(api)
    assert any(b"Kopeysk" in state for state in states)  # the scan reads what is stored in plain
    for text in SEALED_TEXTS:
        for form in (text.encode(), json.dumps(text).encode()):
            assert not [state for state in states if form in state], text

    lines = history(api, person, api.as_("admin"), reason="erasure check")
    erasure = next(line for line in lines if line["type"] == "Erased")
    assert (erasure["reason"], erasure["data"]["reason"]) == ("erased", "erased")
    consent = next(line for line in lines if line["data"].get("scope") == "housing")
    assert consent["data"]["document_ref"] == "erased"
    correction = next(line for line in lines if line["type"] == "Corrected")
    assert correction["reason"] == "erased"


def test_an_erasure_stored_with_a_plain_reason_before_sealing_still_loads_and_is_masked(
    api: Api,
) -> None:
    person = participant(api, [OWN])
    episode(api, person, program(api, OWN), [OWN])
    version = api.get(f"/v1/participants/{person}").json()["version"]
    legacy = Participant.Erased(
        originator_id=UUID(person), originator_version=version + 1, timestamp=datetime.now(UTC),
        reason=ERASURE_REASON, occurred_on=date.today(), recorded_by="admin-1",
        recorded_role="admin", request_id="legacy",
    )  # fmt: skip
    plain_mapper = Mapper(transcoder=api.ledger.mapper.transcoder)
    api.ledger.recorder.insert_events([plain_mapper.to_stored_event(legacy)])

    assert api.get(f"/v1/participants/{person}", role="admin").json()["erased"] is True
    masked = history(api, person, api.as_("admin"))
    assert ERASURE_REASON not in str(masked)
    assert next(line for line in masked if line["type"] == "Erased")["reason"] == "***"
    shown = history(api, person, api.as_("admin"), reason="erasure check")
    assert next(line for line in shown if line["type"] == "Erased")["reason"] == ERASURE_REASON


def test_a_readers_reason_is_stored_sealed_and_reads_as_erased_after_erasure(api: Api) -> None:
    person = a_person_with_sealed_text(api)
    why = "Called by Anna Petrova's lawyer Smirnov about the flat"
    assert api.get(f"/v1/participants/{person}", role="auditor", reason=why).status_code == 200

    def access_reasons() -> list[Any]:
        answer = api.get("/v1/audit/access", role="auditor", participant=person, limit=500)
        return [record["reason"] for record in answer.json()["items"]]

    assert access_reasons() == [why]
    with api.app.state.components.access_log.store.transaction() as tx:
        stored = [row[0] for row in tx.execute("SELECT reason FROM access_log")]
    assert stored
    assert not [reason for reason in stored if "Smirnov" in reason]

    erased = api.post(f"/v1/participants/{person}/erase", {"reason": "asked"}, role="admin")
    assert erased.status_code == 201, erased.text
    assert access_reasons() == ["erased"]
