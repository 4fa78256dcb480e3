"""Two records found to be one person are linked, and unlinked again, on a supervisor's word:
both records say so, the reason is sealed like every free text about a person, and nobody
learns of a record they may not see."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from tests.api.conftest import OTHER, OWN, Api
from tests.api.world import World, a_world, episode, participant

WHY = "Same SNILS and birth date: Anna Petrova registered twice in Kopeysk"
UNDO = "Twins: Anna and Alla Petrova, told apart by the birth certificates"


@pytest.fixture
def world(api: Api) -> World:
    return a_world(api)


def twin(api: Api, world: World) -> str:
    """A second record of the person in program OWN, so its supervisor may see both."""
    person = participant(api, [OWN], name="Anna Petrova")
    episode(api, person, world.own, [OWN])
    return person


def link(api: Api, one: str, other: str, role: str = "supervisor", **body: Any) -> Any:
    return api.post(
        f"/v1/participants/{one}/links", {"other_id": other, "reason": WHY, **body}, role=role
    )


def unlink(api: Api, one: str, other: str, role: str = "supervisor", reason: str = UNDO) -> Any:
    return api.post(f"/v1/participants/{one}/links/{other}/unlink", {"reason": reason}, role=role)


def linked(api: Api, person: str, role: str = "supervisor") -> list[str]:
    answer = api.get(f"/v1/participants/{person}", role=role)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["linked"])


def lines(api: Api, person: str, role: str, **params: Any) -> list[dict[str, Any]]:
    answer = api.get(f"/v1/participants/{person}/history", role=role, limit=500, **params)
    assert answer.status_code == 200, answer.text
    return [line for line in answer.json()["items"] if line["type"] in ("Linked", "Unlinked")]


def test_a_supervisor_links_two_records_and_unlinks_them_and_both_records_say_so(
    api: Api, world: World
) -> None:
    other = twin(api, world)
    answer = link(api, world.participant, other)
    assert answer.status_code == 201, answer.text
    assert answer.json()["id"] == world.participant
    assert answer.headers["Location"] == f"/v1/participants/{world.participant}"
    assert linked(api, world.participant) == [other]
    assert linked(api, other) == [world.participant]

    undone = unlink(api, other, world.participant)
    assert undone.status_code == 201, undone.text
    assert linked(api, world.participant) == linked(api, other) == []

    for person, named in ((world.participant, other), (other, world.participant)):
        said = lines(api, person, "supervisor")
        assert [(line["type"], line["data"]["other_id"]) for line in said] == [
            ("Linked", named),
            ("Unlinked", named),
        ]
        assert [line["reason"] for line in said] == [WHY, UNDO]
        assert {line["recorded_by"] for line in said} == {"supervisor-1"}


def test_an_admin_links_records_and_the_link_can_be_made_again_after_an_unlink(
    api: Api, world: World
) -> None:
    other = twin(api, world)
    assert link(api, world.participant, other, role="admin").status_code == 201
    assert unlink(api, world.participant, other, role="admin").status_code == 201
    again = link(api, other, world.participant, role="admin")
    assert again.status_code == 201, again.text
    assert linked(api, other) == [world.participant]


def test_the_reason_is_masked_for_an_auditor_without_one_and_erased_with_the_person(
    api: Api, world: World
) -> None:
    other = twin(api, world)
    assert link(api, world.participant, other).status_code == 201
    [masked] = lines(api, other, "auditor")
    assert (masked["reason"], masked["data"]["reason"]) == ("***", "***")
    assert WHY not in str(masked)
    [shown] = lines(api, other, "auditor", reason="annual verification")
    assert shown["reason"] == WHY

    erased = api.post(f"/v1/participants/{other}/erase", {"reason": "asked"}, role="admin")
    assert erased.status_code == 201, erased.text
    [gone] = lines(api, other, "admin", reason="erasure check")
    assert (gone["reason"], gone["data"]["reason"]) == ("erased", "erased")
    assert gone["data"]["other_id"] == world.participant
    # Nothing more is recorded about an erased record, a link's undoing included.
    refused = unlink(api, world.participant, other)
    assert (refused.status_code, refused.json()["code"]) == (409, "participant_erased")
    assert linked(api, world.participant) == [other]


@pytest.mark.parametrize("role", ["caseworker", "auditor", "analyst"])
def test_only_a_supervisor_or_an_admin_links_records(api: Api, world: World, role: str) -> None:
    other = twin(api, world)
    head = api.log_head()
    for answer in (link(api, world.participant, other, role=role),
                   unlink(api, world.participant, other, role=role)):  # fmt: skip
        assert answer.status_code == 403, answer.text
        assert answer.json()["code"] == "forbidden"
        assert "supervisor" in answer.json()["title"]
    assert api.log_head() == head
    assert linked(api, world.participant) == []


def test_a_record_the_supervisor_may_not_see_is_not_found_exactly_as_an_unknown_one(
    api: Api, world: World
) -> None:
    stranger = api.get(f"/v1/episodes/{world.other_episode}", role="admin").json()
    hidden, unknown = stranger["participant_id"], str(uuid4())
    head = api.log_head()
    answers = {}
    for other in (hidden, unknown):
        answers[other] = [
            link(api, world.participant, other),
            link(api, other, world.participant),
            unlink(api, world.participant, other),
        ]
    for one, two in zip(answers[hidden], answers[unknown], strict=True):
        assert one.status_code == two.status_code == 404
        first, second = one.json(), two.json()
        assert first["detail"].replace(hidden, unknown) == second["detail"]
        assert {**first, "detail": None} == {**second, "detail": None}
    assert api.log_head() == head
    # Nor may the other program's supervisor see our person, from their side.
    across = api.http.post(
        f"/v1/participants/{hidden}/links",
        json={"other_id": world.participant, "reason": WHY},
        headers=api.as_("supervisor", [OTHER]),
    )
    assert across.status_code == 404, across.text
    assert across.json()["detail"] == f"no participant {world.participant}"
    assert api.log_head() == head


def test_a_link_an_admin_made_to_a_record_the_caller_may_not_see_is_not_shown(
    api: Api, world: World
) -> None:
    stranger = api.get(f"/v1/episodes/{world.other_episode}", role="admin").json()
    hidden = stranger["participant_id"]
    assert link(api, world.participant, hidden, role="admin").status_code == 201
    assert linked(api, world.participant, role="admin") == [hidden]
    assert linked(api, world.participant) == []
    assert lines(api, world.participant, "supervisor") == []
    assert hidden not in api.get(f"/v1/participants/{world.participant}/history").text
    [line] = lines(api, world.participant, "admin")
    assert line["data"]["other_id"] == hidden


def test_a_record_is_linked_neither_to_itself_nor_twice_nor_unlinked_when_not_linked(
    api: Api, world: World
) -> None:
    other = twin(api, world)
    head = api.log_head()
    itself = link(api, world.participant, world.participant)
    assert (itself.status_code, itself.json()["code"]) == (409, "link_not_allowed")
    assert "itself" in itself.json()["detail"]
    never = unlink(api, world.participant, other)
    assert (never.status_code, never.json()["code"]) == (409, "link_not_allowed")
    assert "not linked" in never.json()["detail"]
    assert api.log_head() == head

    assert link(api, world.participant, other).status_code == 201
    for twice in (link(api, world.participant, other), link(api, other, world.participant)):
        assert (twice.status_code, twice.json()["code"]) == (409, "link_not_allowed")
        assert "already linked" in twice.json()["detail"]
    assert linked(api, other) == [world.participant]


@pytest.mark.parametrize(
    "body",
    [
        {"reason": "a\u0000b"},
        {"reason": ""},
        {"reason": " \t\u3000"},
        {"reason": "x" * 501},
        {"reason": None},
        {"other_id": "not-an-id"},
        {"other_id": "0" * 32},
        {"surplus": "field"},
    ],
)
def test_a_link_with_an_impossible_body_is_refused_before_anything_is_written(
    api: Api, world: World, body: dict[str, Any]
) -> None:
    other = twin(api, world)
    head = api.log_head()
    answer = link(api, world.participant, other, **body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "invalid_request"
    if "reason" in body:
        undone = unlink(api, world.participant, other, reason=body["reason"])
        assert undone.status_code == 422, undone.text
    assert api.log_head() == head


def test_a_long_reason_in_any_script_is_kept_as_given(api: Api, world: World) -> None:
    other = twin(api, world)
    reason = "Один человек: 同一人物 🙂 " + "ё" * 470
    assert link(api, world.participant, other, reason=reason).status_code == 201
    [line] = lines(api, other, "supervisor")
    assert line["reason"] == reason.strip()


def test_an_episode_id_is_no_record_to_link(api: Api, world: World) -> None:
    answer = link(api, world.participant, world.episode)
    assert (answer.status_code, answer.json()["code"]) == (404, "not_found")
