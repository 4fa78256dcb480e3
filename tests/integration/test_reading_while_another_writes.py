"""Reading an aggregate from the store while another process writes to it, from many threads at
once (as the losers of a race do): each reader gets a whole copy."""

from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from domain.facility import Facility
from tests.conftest_stores import LedgerFactory
from tests.integration.scenario import CASEWORKER, MARCH, a_facility, a_world, an_episode


def test_readers_of_a_facility_another_process_keeps_filling_always_get_a_whole_copy(
    new_ledger: LedgerFactory,
) -> None:
    """Losers of a bed race all read the facility from the store at once, while it changes: each
    must get a whole copy of it, never one taken while another reader brought it up to date."""
    here, elsewhere = new_ledger(), new_ledger()
    world = a_world(elsewhere)
    facility = a_facility(elsewhere, capacity=100)
    episodes = [an_episode(elsewhere, world.program) for _ in range(60)]
    filling = threading.Event()

    def fill() -> None:
        filling.set()
        for episode in episodes:
            elsewhere.start_placement(CASEWORKER, episode, facility_id=facility, occurred_on=MARCH)
        filling.clear()

    def read(_: int) -> list[Any]:
        filling.wait()
        seen: list[Any] = []
        while filling.is_set():
            try:
                stays = here.load(Facility, facility).stays
            except RuntimeError as error:  # "dictionary changed size during iteration"
                seen.append(error)
            else:
                seen.append(len(stays))
        return seen

    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # threads take turns far more often: the race shows every run
    try:
        with ThreadPoolExecutor(9) as pool:
            filled = pool.submit(fill)
            reads = [n for seen in pool.map(read, range(8)) for n in seen]
            filled.result()
    finally:
        sys.setswitchinterval(switching)

    assert reads  # the readers read while the facility filled
    assert [r for r in reads if not isinstance(r, int)] == []
    assert len(here.load(Facility, facility).stays) == len(episodes)
