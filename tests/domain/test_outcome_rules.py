"""Outcome definitions as data: what each condition makes of a person's facts on a date, and
the definitions refused because they cannot be evaluated."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.outcome_rules import (
    FACTS,
    Fact,
    InvalidDefinitionError,
    Status,
    add_months,
    definition_of,
    evaluate,
    fact_of,
)

NO_RETURN = definition_of(
    "no_return",
    {
        "name": "No return to an institution for 12 months after moving out",
        "condition": {
            "kind": "sustained",
            "start": "placement_started",
            "without": "institutional_admission",
            "months": 12,
        },
        "cohort": {"prior_residence": ["inpatient_institution"]},
        "price": 150_000,
        "cap": 16,
    },
)
JOB = definition_of(
    "job",
    {
        "name": "Job started on the open market or in a supported workshop",
        "condition": {
            "kind": "occurs",
            "fact": "job_started",
            "where": {"employment": ["open_market", "supported_workshop"]},
        },
        "window": {"start": "2021-01-01", "end": "2022-12-31"},
    },
)
HELD = definition_of(
    "held",
    {
        "name": "A job held 6 months",
        "condition": {
            "kind": "sustained",
            "start": "job_started",
            "without": "job_ended",
            "months": 6,
            "same_track": True,
        },
    },
)
COURSE = definition_of(
    "course",
    {
        "name": "A course completed within 30 days of enrolment",
        "condition": {
            "kind": "within",
            "start": "course_enrolled",
            "fact": "course_completed",
            "days": 30,
        },
    },
)


def fact(kind: str, on: str, **detail: str) -> Fact:
    return Fact(kind, date.fromisoformat(on), f"{kind}@{on}", detail)


PLACED = fact("placement_started", "2021-03-01", placement_id="p1")
ADMITTED = fact("institutional_admission", "2021-11-05")


def test_no_return_is_pending_for_a_year_then_achieved_on_its_anniversary() -> None:
    assert evaluate(NO_RETURN, [PLACED], date(2021, 12, 1)) == Status(
        "pending", evidence=(PLACED.entry_id,)
    )
    assert evaluate(NO_RETURN, [PLACED], date(2022, 3, 1)) == Status(
        "achieved", date(2022, 3, 1), (PLACED.entry_id,)
    )
    assert evaluate(NO_RETURN, [], date(2023, 1, 1)) == Status("pending")  # never placed


def test_an_admission_within_the_year_fails_it_naming_the_admission() -> None:
    failed = Status("failed", ADMITTED.on, (PLACED.entry_id,), ADMITTED.entry_id)
    assert evaluate(NO_RETURN, [ADMITTED, PLACED], date(2023, 1, 1)) == failed
    assert evaluate(NO_RETURN, [PLACED, ADMITTED], date(2021, 11, 4)).state == "pending"
    after = fact("institutional_admission", "2022-03-01")  # the day the year is complete
    assert evaluate(NO_RETURN, [PLACED, after], date(2023, 1, 1)).state == "achieved"


def test_the_first_move_out_is_measured_not_a_second_one_after_a_return() -> None:
    again = fact("placement_started", "2021-12-01", placement_id="p2")
    status = evaluate(NO_RETURN, [PLACED, ADMITTED, again], date(2024, 1, 1))
    assert (status.state, status.broken_by) == ("failed", ADMITTED.entry_id)


def test_a_job_counts_where_its_employment_is_listed_and_in_the_window() -> None:
    open_market = fact("job_started", "2022-05-10", job_id="j1", employment="open_market")
    other = fact("job_started", "2022-04-01", job_id="j0", employment="day_centre")
    late = fact("job_started", "2023-01-10", job_id="j2", employment="open_market")
    assert evaluate(JOB, [other, open_market], date(2023, 6, 1)) == Status(
        "achieved", open_market.on, (open_market.entry_id,)
    )
    assert evaluate(JOB, [other], date(2022, 6, 1)).state == "pending"
    assert evaluate(JOB, [other, late], date(2023, 6, 1)) == Status("failed")  # window closed


def test_a_job_held_is_broken_only_by_its_own_end() -> None:
    started = fact("job_started", "2022-01-10", job_id="j1", employment="open_market")
    other_ended = fact("job_ended", "2022-02-01", job_id="j0")
    own_ended = fact("job_ended", "2022-04-01", job_id="j1")
    assert evaluate(HELD, [started, other_ended], date(2022, 8, 1)).state == "achieved"
    assert evaluate(HELD, [started, own_ended], date(2022, 8, 1)).broken_by == own_ended.entry_id


def test_a_course_counts_when_the_same_course_is_completed_within_30_days() -> None:
    enrolled = fact("course_enrolled", "2021-12-10", course_id="c1")
    done = fact("course_completed", "2022-01-09", course_id="c1")
    other = fact("course_completed", "2021-12-20", course_id="c2")
    assert evaluate(COURSE, [enrolled, done], date(2022, 2, 1)) == Status(
        "achieved", done.on, (enrolled.entry_id, done.entry_id)
    )
    assert evaluate(COURSE, [enrolled, other], date(2022, 1, 9)).state == "pending"
    assert evaluate(COURSE, [enrolled, other], date(2022, 1, 10)) == Status(
        "failed", date(2022, 1, 9), (enrolled.entry_id,)
    )


def test_a_fact_recorded_for_a_later_day_is_not_seen_before_it() -> None:
    assert evaluate(NO_RETURN, [PLACED, ADMITTED], date(2021, 3, 5)).state == "pending"


def test_the_cohort_holds_listed_residences_and_groups() -> None:
    assert NO_RETURN.cohort.holds("inpatient_institution", ["mental_disability"])
    assert not NO_RETURN.cohort.holds("parental_family", ["mental_disability"])
    assert JOB.cohort.holds("street", [])  # no cohort: everyone


def test_a_month_later_is_the_months_last_day_where_the_day_is_missing() -> None:
    assert add_months(date(2021, 1, 31), 1) == date(2021, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2021, 11, 15), 14) == date(2023, 1, 15)


def test_an_exported_event_and_a_domain_event_make_one_fact() -> None:
    job = uuid.uuid4()
    exported = fact_of(
        "JobStarted", {"job_id": str(job), "employment": "open_market"}, "e1", "2022-05-10"
    )
    loaded = fact_of(
        "JobStarted", {"job_id": job, "employment": "open_market"}, "e1", date(2022, 5, 10)
    )
    assert exported == loaded
    assert exported is not None
    assert exported.track() == job.hex
    assert fact_of("ServiceDelivered", {"kind": "x"}, "e2", "2022-05-10") is None


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"condition": {"kind": "forever", "fact": "job_started"}}, "condition kind"),
        ({"condition": {"kind": "occurs", "fact": "won_lottery"}}, "fact is one of"),
        ({"condition": {"kind": "sustained", "start": "placement_started"}}, "missing"),
        ({"condition": {"kind": "occurs", "fact": "job_started", "months": 3}}, "unknown"),
        (
            {
                "condition": {
                    "kind": "sustained",
                    "start": "job_started",
                    "without": "job_ended",
                    "months": 0,
                }
            },
            "months is a whole number",
        ),
        (
            {
                "condition": {
                    "kind": "within",
                    "start": "course_enrolled",
                    "fact": "course_completed",
                    "days": 10**6,
                }
            },
            "days is a whole number",
        ),
        (
            {"condition": {"kind": "occurs", "fact": "job_started", "where": {"salary": ["high"]}}},
            '"where" may test',
        ),
        (
            {"condition": {"kind": "occurs", "fact": "job_started", "where": {"employment": []}}},
            "where",
        ),
        ({"window": {"start": "2022-01-01", "end": "2021-01-01"}}, "ends before it starts"),
        ({"window": {"start": "2022-02-30"}}, "window.start is a date"),
        ({"window": {"until": "2022-01-01"}}, "window"),
        ({"price": -1}, "price"),
        ({"price": True}, "price"),
        ({"cap": 2.5}, "cap"),
        ({"cohort": {"age": ["old"]}}, "cohort"),
        ({"cohort": {"prior_residence": "street"}}, "list of names"),
        ({"name": " "}, "needs a name"),
        ({"colour": "red"}, "unknown fields"),
    ],
)
def test_a_definition_that_cannot_be_evaluated_is_refused_saying_why(
    change: dict[str, Any], says: str
) -> None:
    data = {"name": "An outcome", "condition": {"kind": "occurs", "fact": "job_started"}, **change}
    with pytest.raises(InvalidDefinitionError, match=says):
        definition_of("x", data)


FACT_KINDS = sorted(FACTS)


@st.composite
def facts(draw: Any) -> list[Fact]:
    made = []
    for n in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(FACT_KINDS))
        on = date(2021, 1, 1) + timedelta(days=draw(st.integers(0, 900)))
        track = draw(st.sampled_from(["t1", "t2"]))
        key = {"placement": "placement_id", "job": "job_id", "course": "course_id"}.get(
            kind.split("_")[0]
        )
        detail = {key: track} if key else {}
        if kind == "job_started":
            detail["employment"] = draw(st.sampled_from(["open_market", "day_centre"]))
        made.append(Fact(kind, on, f"e{n}", detail))
    return made


@settings(max_examples=200, deadline=None)
@given(facts(), st.randoms(), st.integers(0, 1200))
def test_a_status_depends_on_the_facts_not_their_order(
    found: list[Fact], shuffler: Any, days: int
) -> None:
    as_of = date(2021, 1, 1) + timedelta(days=days)
    for definition in (NO_RETURN, JOB, HELD, COURSE):
        shuffled = list(found)
        shuffler.shuffle(shuffled)
        status = evaluate(definition, found, as_of)
        assert evaluate(definition, shuffled, as_of) == status
        # Once achieved or failed, later days never change it.
        if status.state != "pending":
            assert evaluate(definition, found, as_of + timedelta(days=400)) == status
