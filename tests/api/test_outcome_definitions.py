"""A program's outcome definitions through HTTP: defined by an admin, versioned, read as known
at a moment, and refused with a reason when they cannot be evaluated."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, get_args

import pytest

from api.outcome_bodies import FactKind
from domain.outcome_rules import FACTS
from tests.api.conftest import OTHER, Api
from tests.api.world import a_world

NO_RETURN: dict[str, Any] = {
    "key": "no_return",
    "name": "No return to an institution for 12 months after moving out",
    "condition": {
        "kind": "sustained",
        "start": "placement_started",
        "without": "institutional_admission",
        "months": 12,
    },
    "cohort": {"prior_residence": ["inpatient_institution"]},
    "window": {"start": "2021-01-01", "end": "2022-06-30"},
    "price": 150000,
    "cap": 16,
    "reason": "contract of 2021-01-15, annex 2",
}


def definitions(api: Api, program: str, **params: Any) -> list[dict[str, Any]]:
    answer = api.get(f"/v1/programs/{program}/outcome-definitions", role="supervisor", **params)
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["definitions"]
    return found


def test_the_body_names_every_fact_outcomes_are_measured_on() -> None:
    assert list(get_args(FactKind)) == list(FACTS)


def test_an_outcome_defined_twice_has_two_versions_each_read_as_known_then(api: Api) -> None:
    program = a_world(api).own
    first = api.post(f"/v1/programs/{program}/outcome-definitions", NO_RETURN, role="admin")
    assert first.status_code == 201, first.text
    assert first.json()["id"] == program
    between = datetime.now(UTC).isoformat()
    shorter = {**NO_RETURN, "condition": {**NO_RETURN["condition"], "months": 6}}
    second = api.post(f"/v1/programs/{program}/outcome-definitions", shorter, role="admin")
    assert second.status_code == 201, second.text

    now = definitions(api, program)
    assert [(d["key"], d["version"], d["current"]) for d in now] == [
        ("no_return", 1, False),
        ("no_return", 2, True),
    ]
    assert now[1]["condition"]["months"] == 6
    assert now[0] == {  # as sent, with the defaults filled in
        **{k: v for k, v in NO_RETURN.items() if k != "reason"},
        "condition": {**NO_RETURN["condition"], "same_track": False},
        "cohort": {"prior_residence": ["inpatient_institution"], "target_groups": []},
        "version": 1,
        "current": False,
    }
    then = definitions(api, program, known_at=between)
    assert [(d["version"], d["current"], d["condition"]["months"]) for d in then] == [(1, True, 12)]


@pytest.mark.parametrize(
    ("change", "code", "says"),
    [
        ({"condition": {"kind": "forever", "fact": "job_started"}}, "invalid_request", "condition"),
        ({"condition": {"kind": "occurs", "fact": "won_lottery"}}, "invalid_request", "fact"),
        ({"condition": {**NO_RETURN["condition"], "months": 0}}, "invalid_request", "months"),
        (
            {"condition": {**NO_RETURN["condition"], "same_track": "yes"}},
            "invalid_request",
            "same_track",
        ),
        ({"key": "No Return"}, "invalid_request", "key"),
        ({"name": "a\u0000b"}, "invalid_request", "name"),
        ({"price": -5}, "invalid_request", "price"),
        ({"price": "100"}, "invalid_request", "price"),
        ({"window": {"start": "2022-02-30"}}, "invalid_request", "window"),
        ({"cohort": {"prior_residence": ["moon"]}}, "invalid_request", "cohort"),
        (
            {"condition": {"kind": "occurs", "fact": "job_started", "where": {"salary": ["high"]}}},
            "outcome_definition_invalid",
            "may test",
        ),
        (
            {
                "condition": {
                    "kind": "occurs",
                    "fact": "job_started",
                    "where": {"employment": ["guild"]},
                }
            },
            "outcome_definition_invalid",
            "employment takes",
        ),
        (
            {"window": {"start": "2022-06-30", "end": "2021-01-01"}},
            "outcome_definition_invalid",
            "ends before",
        ),
    ],
)
def test_a_definition_that_cannot_be_evaluated_is_refused_and_nothing_recorded(
    api: Api, change: dict[str, Any], code: str, says: str
) -> None:
    program = a_world(api).own
    head = api.log_head()
    refused = api.post(
        f"/v1/programs/{program}/outcome-definitions", {**NO_RETURN, **change}, role="admin"
    )
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == code
    assert says in refused.text
    assert api.log_head() == head
    assert definitions(api, program) == []


def test_only_an_admin_defines_outcomes_and_only_their_programs_readers_read_them(api: Api) -> None:
    world = a_world(api)
    for role in ("caseworker", "supervisor", "analyst"):
        refused = api.post(f"/v1/programs/{world.own}/outcome-definitions", NO_RETURN, role=role)
        assert refused.status_code == 403, (role, refused.text)
    answer = api.http.get(
        f"/v1/programs/{world.own}/outcome-definitions", headers=api.as_("supervisor", [OTHER])
    )
    assert answer.status_code == 403, answer.text
