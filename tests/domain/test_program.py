from datetime import date

import pytest

from domain.base import InvalidValueError
from domain.program import Program, program_id_for
from tests.domain.given import ADMIN, TODAY, a_program, replayed, then_events, then_refused


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
