"""A mentor is a person the ledger knows, through HTTP: a participant the caller may see (seed
004's mentors were once participants themselves) or a member of staff, exactly one of the two."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from domain.episode import Episode
from tests.api.conftest import OWN, Api
from tests.api.world import a_world, day, episode, participant


def _mentor(api: Api, episode_id: str, **who: Any) -> Any:
    return api.post(f"/v1/episodes/{episode_id}/mentors", {**who, "occurred_on": day(1)})


def _last_event(api: Api, episode_id: str, version: int) -> Any:
    [event] = api.ledger.recorded_events(UUID(episode_id), after=version - 1)
    return event


def test_a_mentor_is_a_participant_of_the_program_or_a_member_of_staff(api: Api) -> None:
    world = a_world(api)
    former = participant(api, [OWN], name="Vera Mentor")
    episode(api, former, world.own, [OWN])

    as_participant = _mentor(api, world.episode, mentor_participant_id=former)
    assert as_participant.status_code == 201, as_participant.text
    event = _last_event(api, world.episode, as_participant.json()["version"])
    assert (event.mentor_participant_id, event.mentor_staff) == (UUID(former), None)

    as_staff = _mentor(api, world.episode, mentor_staff=" volunteer-12 ")
    assert as_staff.status_code == 201, as_staff.text
    event = _last_event(api, world.episode, as_staff.json()["version"])
    assert (event.mentor_participant_id, event.mentor_staff) == (None, "volunteer-12")


def test_a_mentor_named_both_ways_or_neither_or_the_participant_is_refused(api: Api) -> None:
    world = a_world(api)
    former = participant(api, [OWN], name="Vera Mentor")
    episode(api, former, world.own, [OWN])
    head = api.log_head()
    for who in (
        {"mentor_participant_id": former, "mentor_staff": "volunteer-12"},
        {},
        {"mentor_participant_id": None, "mentor_staff": None},
    ):
        refused = _mentor(api, world.episode, **who)
        assert refused.status_code == 422, (who, refused.text)
        assert refused.json()["code"] == "mentor_not_allowed"
        assert "exactly one of mentor_participant_id" in refused.json()["detail"]
    themselves = _mentor(api, world.episode, mentor_participant_id=world.participant)
    assert themselves.status_code == 422, themselves.text
    assert themselves.json()["code"] == "mentor_not_allowed"
    assert "themselves" in themselves.json()["detail"]
    for wrong in ({"mentor_staff": " "}, {"mentor_participant_id": former.replace("-", "")}):
        malformed = _mentor(api, world.episode, **wrong)
        assert malformed.status_code == 422, (wrong, malformed.text)
        assert malformed.json()["code"] == "invalid_request"
    assert api.log_head() == head


def test_a_mentor_the_caller_may_not_see_is_not_found_like_an_unknown_one(api: Api) -> None:
    world = a_world(api)
    # In another program only.
    stranger = str(api.ledger.load(Episode, UUID(world.other_episode)).participant_id)
    # Registered by another writer, in no program yet: nobody else knows they exist.
    unplaced = participant(api, [OWN], name="Gleb Unplaced")
    head = api.log_head()
    answers = {}
    for mentor in (stranger, unplaced, str(uuid4())):
        refused = api.http.post(
            f"/v1/episodes/{world.episode}/mentors",
            json={"mentor_participant_id": mentor, "occurred_on": day(1)},
            headers=api.as_("caseworker", [OWN], "caseworker-3"),
        )
        assert refused.status_code == 404, refused.text
        assert refused.json()["code"] == "not_found"
        answers[mentor] = refused.json()["detail"]
    assert answers == {m: f"no participant {m}" for m in answers}
    assert api.log_head() == head


def test_an_erased_mentor_is_refused(api: Api) -> None:
    world = a_world(api)
    former = participant(api, [OWN], name="Vera Mentor")
    episode(api, former, world.own, [OWN])
    erased = api.post(f"/v1/participants/{former}/erase", {"reason": "asked"}, role="admin")
    assert erased.status_code == 201, erased.text
    head = api.log_head()
    refused = _mentor(api, world.episode, mentor_participant_id=former)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "participant_erased"
    assert api.log_head() == head


def test_a_writer_of_another_program_cannot_assign_a_mentor(api: Api) -> None:
    world = a_world(api)
    head = api.log_head()
    refused = api.http.post(
        f"/v1/episodes/{world.episode}/mentors",
        json={"mentor_staff": "volunteer-12", "occurred_on": day(1)},
        headers=api.as_("caseworker", ["OTHER"], "caseworker-2"),
    )
    assert refused.status_code == 403, refused.text
    for role in ("auditor", "analyst", "admin"):
        assert _mentor_as(api, world.episode, role).status_code == 403
    assert api.log_head() == head


def _mentor_as(api: Api, episode_id: str, role: str) -> Any:
    return api.post(
        f"/v1/episodes/{episode_id}/mentors",
        {"mentor_staff": "volunteer-12", "occurred_on": day(1)},
        role=role,
    )
