"""Under a steady stream of writes, a follower reads them in batches, one round per linger."""

from __future__ import annotations

import threading
import time

from projections.caseloads import Caseloads
from projections.follower import Follower
from tests.integration.scenario import CASEWORKER, MARCH, a_world
from tests.projections.conftest import open_stores

LINGER = 0.2


class CountedFollower(Follower):
    """A follower that counts the rounds in which it read something."""

    rounds = 0

    def catch_up_once(self) -> int:
        advanced = super().catch_up_once()
        self.rounds += bool(advanced)
        return advanced


def test_a_steady_stream_of_writes_is_read_a_linger_apart_not_write_by_write(
    postgres_schema_url: str,
) -> None:
    stores = open_stores(postgres_schema_url)
    ledger = stores.ledger
    world = a_world(ledger)
    model = Caseloads(stores.read)
    model.create_tables()
    follower = CountedFollower(ledger, model)
    follower.catch_up()
    follower.rounds = 0
    stop = threading.Event()
    following = threading.Thread(target=follower.run, args=(stop, 0.005, None, LINGER))
    following.start()
    started = time.monotonic()
    try:
        while time.monotonic() - started < 1.5:  # a write every few ms, as under load
            written = ledger.deliver_service(
                CASEWORKER, world.episode, kind="home_care", quantity=1,
                settlement="Bredy", occurred_on=MARCH,
            )  # fmt: skip
        while model.live_position() < written.position:
            assert time.monotonic() - started < 10, "the read model did not follow"
            time.sleep(0.01)
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        following.join(10)
        stores.read.close()
        ledger.close()
    # One round per linger, and one more at each end; reading whatever had arrived each time,
    # it would take a round every few milliseconds.
    assert follower.rounds <= elapsed / LINGER + 2, (follower.rounds, elapsed)
