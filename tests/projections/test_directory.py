"""The directory: programs by code, facilities by the programs they serve, episodes by filter."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

from projections.directory import Directory, EpisodeFilter
from tests.integration.scenario import ADMIN, CASEWORKER, a_world, an_episode
from tests.projections.conftest import Stores


def test_programs_are_found_by_code_in_any_case_and_kept_to_those_asked_for(
    stores: Stores,
) -> None:
    step = a_world(stores.ledger, code="Step").program
    far = a_world(stores.ledger, code="FAR").program
    directory = stores.project(Directory)
    with directory.reading() as reading:
        assert [p.code for p in directory.programs(reading)] == ["FAR", "Step"]
        assert [p.program_id for p in directory.programs(reading, code=" sTEP ")] == [str(step)]
        assert directory.programs(reading, code="STEP", only={far}) == []
        assert [p.code for p in directory.programs(reading, only={far, uuid4()})] == ["FAR"]
        assert directory.programs(reading, only=set()) == []
        [far_entry] = directory.programs(reading, code="far")
    assert (far_entry.financing, far_entry.course_start_limit_days) == ("grant", 5)
    assert (far_entry.period_start, far_entry.period_end) == (date(2024, 1, 1), date(2024, 12, 31))


def test_a_facility_serving_no_program_in_particular_is_found_for_every_program(
    stores: Stores,
) -> None:
    world = a_world(stores.ledger)  # its facility serves every program
    other = stores.ledger.define_program(
        ADMIN, code="FAR", name="Far north", financing="budget", period_start=date(2024, 1, 1),
        period_end=date(2024, 12, 31), targets={},
    ).id  # fmt: skip
    flat = stores.ledger.register_facility(
        ADMIN, kind="training_apartment", name="Flat", settlement="Bredy", capacity=2,
        occurred_on=date(2024, 1, 1), programs=[other],
    ).id  # fmt: skip
    directory = stores.project(Directory)
    with directory.reading() as reading:
        mine = directory.facilities(reading, program=world.program)
        theirs = directory.facilities(reading, program=other)
        nobodys = directory.facilities(reading, program=uuid4())
        flats = directory.facilities(reading, settlement="Bredy", kind="training_apartment")
        [one] = directory.facilities(reading, facility_id=flat)
    assert [f.facility_id for f in mine] == [str(world.facility)]
    assert {f.facility_id for f in theirs} == {str(world.facility), str(flat)}
    assert [f.facility_id for f in nobodys] == [str(world.facility)]
    assert [f.facility_id for f in flats] == [str(flat)]
    assert (one.name, one.programs) == ("Flat", [str(other)])


def test_an_episode_is_listed_with_its_caseworker_now_and_once_closed_as_closed(
    stores: Stores,
) -> None:
    world = a_world(stores.ledger)
    second = an_episode(stores.ledger, world.program)
    stores.ledger.assign_caseworker(
        CASEWORKER, world.episode, caseworker="cw-8", occurred_on=date(2024, 3, 5)
    )
    stores.ledger.close_episode(
        CASEWORKER, second, reason="goals_achieved", destination="own_home",
        occurred_on=date(2024, 4, 1),
    )  # fmt: skip
    directory = stores.project(Directory, batch_size=2)

    def ids(offset: int = 0, limit: int = 100, **which: object) -> list[str]:
        with directory.reading() as reading:
            found = directory.episodes(reading, EpisodeFilter(**which), offset, limit)  # type: ignore[arg-type]
        return [e.episode_id for e in found]

    assert ids() == [str(world.episode), str(second)]
    assert ids(caseworker="cw-8") == [str(world.episode)]
    assert ids(caseworker="cw-7") == [str(second)]
    assert ids(status="closed") == [str(second)]
    assert ids(status="open", participant=world.participant) == [str(world.episode)]
    assert ids(programs={uuid4()}) == ids(programs=set()) == []
    assert ids(programs={world.program}, offset=1, limit=1) == [str(second)]
    with directory.reading() as reading:
        [closed] = directory.episodes(reading, EpisodeFilter(status="closed"))
    assert (closed.opened_on, closed.closed_on) == (date(2024, 3, 1), date(2024, 4, 1))
