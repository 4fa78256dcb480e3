"""A person's record and history show each caller only what they may read, with sealed values
masked wherever they surface."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

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
        assert named == {e.replace("-", "") for e in readable}, who


def test_a_persons_record_names_no_episode_or_program_the_caller_may_not_read(
    api: Api, two: TwoPrograms
) -> None:
    answer = api.http.get(f"/v1/participants/{two.person}", headers=api.as_("caseworker", [OWN]))
    assert answer.status_code == 200, answer.text
    hexes = {two.own.replace("-", ""): [two.own_episode.replace("-", "")]}
    assert answer.json()["episodes"] == hexes
    for secret in (two.other_episode, two.other):
        assert secret.replace("-", "") not in answer.text
        assert secret not in answer.text
