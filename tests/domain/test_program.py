from datetime import date

import pytest

from domain.base import InvalidValueError
from domain.program import Program, ServiceInCatalogueError, program_id_for
from tests.domain.given import (
    ADMIN,
    TODAY,
    a_program,
    replayed,
    settled,
    then_events,
    then_refused,
)


def test_defining_a_program_records_code_financing_period_and_targets() -> None:
    program = Program.define(
        code="RURAL-2023",
        name="World without borders",
        financing="budget",
        period_start=date(2023, 1, 1),
        period_end=date(2023, 12, 31),
        targets={"served": 2659, "services_delivered": 849_031},
        course_start_limit_days=5,
        by=ADMIN,
        today=TODAY,
    )
    [defined] = program.collect_events()
    assert isinstance(defined, Program.Defined)
    assert defined.originator_id == program_id_for("rural-2023")
    assert (defined.code, defined.financing) == ("RURAL-2023", "budget")
    assert defined.targets == {"served": 2659, "services_delivered": 849_031}
    assert (defined.recorded_by, defined.recorded_role) == ("admin-1", "admin")


def test_program_ids_derive_from_the_code_so_codes_are_unique() -> None:
    assert program_id_for("STEP") == program_id_for(" step ")
    assert program_id_for("STEP") != program_id_for("STEP-2")


@pytest.mark.parametrize(
    "overrides",
    [
        {"code": " "},
        {"period_end": date(2023, 12, 31)},
        {"targets": {"happiness": 3}},
        {"targets": {"served": -1}},
        {"course_start_limit_days": 0},
    ],
)
def test_a_program_with_impossible_fields_is_refused(overrides: dict[str, object]) -> None:
    with pytest.raises(InvalidValueError):
        a_program(**overrides)


def test_revised_targets_replace_only_the_named_indicators() -> None:
    program = a_program()
    [revised] = then_events(
        program, lambda: program.revise_targets({"housed": 60}, "grant amended", ADMIN, TODAY)
    )
    assert revised.targets == {"housed": 60}
    assert program.targets["housed"] == 60
    assert program.targets["served"] == 200


def test_revising_targets_needs_a_reason() -> None:
    program = a_program()
    then_refused(
        InvalidValueError, program, lambda: program.revise_targets({"housed": 1}, " ", ADMIN, TODAY)
    )


def test_a_program_replays_to_the_same_state() -> None:
    program = Program.define(
        code="X",
        name="X",
        financing="grant",
        period_start=TODAY,
        period_end=TODAY,
        targets={"served": 1},
        course_start_limit_days=3,
        by=ADMIN,
        today=TODAY,
    )
    program.revise_targets({"served": 2}, "more money", ADMIN, TODAY)
    events = program.collect_events()
    assert vars(replayed(program, list(events))) == vars(program)


def test_a_program_adds_a_service_of_its_own_with_its_unit_and_indicator() -> None:
    program = a_program()
    [added] = then_events(
        program,
        lambda: program.add_service(
            "peer_support_group",
            "Peer support group",
            "meeting",
            "skill_events",
            date(2024, 3, 1),
            ADMIN,
            TODAY,
        ),
    )
    assert isinstance(added, Program.ServiceAdded)
    assert (added.kind, added.name, added.unit, added.indicator) == (
        "peer_support_group",
        "Peer support group",
        "meeting",
        "skill_events",
    )
    assert added.occurred_on == date(2024, 3, 1)
    assert program.catalogue == {
        "peer_support_group": {
            "name": "Peer support group",
            "unit": "meeting",
            "indicator": "skill_events",
        }
    }


def test_a_service_may_feed_no_indicator_beyond_services_delivered() -> None:
    program = a_program()
    program.add_service("laundry", "Laundry", "load", None, TODAY, ADMIN, TODAY)
    assert program.catalogue["laundry"]["indicator"] is None


def test_a_kind_already_offered_or_built_in_is_refused() -> None:
    program = a_program()
    program.add_service("laundry", "Laundry", "load", None, TODAY, ADMIN, TODAY)
    settled(program)
    for kind in ("laundry", "home_care"):
        then_refused(
            ServiceInCatalogueError,
            program,
            lambda kind=kind: program.add_service(kind, "X", "visit", None, TODAY, ADMIN, TODAY),
        )


@pytest.mark.parametrize(
    "kind", ["", "a", "Laundry", "laundry\x00", "9lives", "_x", "a" * 65, "bus-trip", "🚌"]
)
def test_a_service_kind_is_2_to_64_lowercase_letters_digits_and_underscores(kind: str) -> None:
    program = a_program()
    then_refused(
        InvalidValueError,
        program,
        lambda: program.add_service(kind, "X", "visit", None, TODAY, ADMIN, TODAY),
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"name": " "},
        {"unit": ""},
        {"indicator": "happiness"},
        {"occurred_on": date(2024, 6, 3)},
    ],
)
def test_a_service_without_a_name_or_unit_of_an_unknown_indicator_or_in_the_future_is_refused(
    fields: dict[str, object],
) -> None:
    program = a_program()
    given: dict[str, object] = {
        "kind": "laundry",
        "name": "Laundry",
        "unit": "load",
        "indicator": None,
        "occurred_on": TODAY,
        "by": ADMIN,
        "today": TODAY,
    }
    then_refused(
        InvalidValueError,
        program,
        lambda: program.add_service(**{**given, **fields}),  # type: ignore[arg-type]
    )


def test_a_cohort_is_defined_and_replaced_by_the_next_definition() -> None:
    program = a_program()
    [defined] = then_events(
        program,
        lambda: program.define_cohort(
            "no_return_to_institution",
            ["inpatient_institution", "inpatient_institution"],
            [],
            "the grant counts those who came from a boarding home",
            ADMIN,
            TODAY,
        ),
    )
    assert isinstance(defined, Program.CohortDefined)
    assert (defined.prior_residence, defined.target_groups) == (["inpatient_institution"], [])
    program.define_cohort(
        "no_return_to_institution", [], ["mental_disability", "elderly"], "amended", ADMIN, TODAY
    )
    assert program.cohorts == {
        "no_return_to_institution": {
            "prior_residence": [],
            "target_groups": ["elderly", "mental_disability"],
        }
    }


@pytest.mark.parametrize(
    ("indicator", "residences", "groups", "reason"),
    [
        ("happiness", [], [], "why"),
        ("housed", ["moon"], [], "why"),
        ("housed", [], ["giants"], "why"),
        ("housed", [], [], " "),
    ],
)
def test_a_cohort_of_unknown_words_or_without_a_reason_is_refused(
    indicator: str, residences: list[str], groups: list[str], reason: str
) -> None:
    program = a_program()
    then_refused(
        InvalidValueError,
        program,
        lambda: program.define_cohort(
            indicator,  # type: ignore[arg-type]
            residences,  # type: ignore[arg-type]
            groups,  # type: ignore[arg-type]
            reason,
            ADMIN,
            TODAY,
        ),
    )


def test_a_program_with_a_catalogue_and_cohorts_replays_to_the_same_state() -> None:
    program = a_program()
    program.add_service("laundry", "Laundry", "load", None, TODAY, ADMIN, TODAY)
    program.add_service("peer_group", "Peer group", "meeting", "skill_events", TODAY, ADMIN, TODAY)
    program.define_cohort("housed", ["street"], ["homeless"], "who the grant is for", ADMIN, TODAY)
    events = list(program.collect_events())
    defined = Program.define(
        code="STEP",
        name="Step by step",
        financing="grant",
        period_start=date(2024, 1, 1),
        period_end=date(2024, 12, 31),
        targets={"served": 200, "housed": 50, "consulted": 150, "trained": 40},
        course_start_limit_days=5,
        by=ADMIN,
        today=TODAY,
    )
    rebuilt = replayed(program, [*defined.collect_events(), *events])
    assert rebuilt.catalogue == program.catalogue
    assert rebuilt.cohorts == program.cohorts
