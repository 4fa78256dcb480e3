"""Whatever text the log holds, every read model stores and answers it as the log holds it.

The log takes any text its JSON can carry; PostgreSQL's text columns refuse NUL. One event
holding a NUL (a token's subject, written before claims were checked) stopped all four read
models on PostgreSQL for good, even after a restart. The events here are written through the
Ledger itself, past every check the API makes, as an older version or an import could have.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.base import Actor
from domain.commands import Context
from projections.caseloads import Caseloads
from projections.follower import Follower
from projections.occupancy import Occupancy
from projections.outcome_facts import OutcomeFacts
from projections.outcomes import Outcomes
from projections.rebuild import rebuild
from projections.services import Services
from store.read_store import ESC, ReadStore, from_column, to_column
from tests.integration.scenario import ADMIN, MARCH, a_participant, a_world
from tests.projections.conftest import Stores

MODELS = (Caseloads, Occupancy, OutcomeFacts, Outcomes, Services)
# NUL, the escape character itself, and text that looks like an escape once stored.
TRICKY = ["\x00", f"cw\x00-7{ESC}0", f"{ESC}0", f"{ESC}{ESC}", "a\x00\x00b", ESC, "plain"]


@given(st.text(alphabet=st.sampled_from(["\x00", ESC, "0", "a", "é"]) | st.characters()))
def test_text_escaped_for_postgres_reads_back_as_it_was(text: str) -> None:
    stored = to_column(text)
    assert "\x00" not in stored
    assert from_column(stored) == text


def _table(store: ReadStore) -> None:
    with store.transaction() as tx:
        tx.execute("CREATE TABLE IF NOT EXISTS hostile_text (k INTEGER PRIMARY KEY, t TEXT)")


def test_every_way_a_read_model_writes_text_keeps_it_exactly(stores: Stores) -> None:
    """One statement, many (below and above the pipelined size) and COPY; found by `= ?`."""
    store = stores.read
    _table(store)
    many = [(100 + n, f"{TRICKY[n % len(TRICKY)]}#{n}") for n in range(40)]
    with store.transaction() as tx:
        for k, text in enumerate(TRICKY):
            tx.execute("INSERT INTO hostile_text VALUES (?, ?)", (k, text))
        tx.executemany("INSERT INTO hostile_text VALUES (?, ?)", [(50, TRICKY[1])])
        tx.executemany("INSERT INTO hostile_text VALUES (?, ?)", many)
        tx.insert_rows("hostile_text", [(200 + k, text) for k, text in enumerate(TRICKY)])
    expected = {
        **dict(enumerate(TRICKY)),
        50: TRICKY[1],
        **dict(many),
        **{200 + k: text for k, text in enumerate(TRICKY)},
    }
    with store.transaction() as tx:
        assert dict(tx.execute("SELECT k, t FROM hostile_text")) == expected
        for text in TRICKY:
            found = tx.execute("SELECT k FROM hostile_text WHERE t = ? ORDER BY k", (text,))
            assert [k for (k,) in found] == [k for k, t in sorted(expected.items()) if t == text]


HOSTILE = Context(Actor("cw\x00-7", "caseworker", "req-\x00"))


def _hostile_events(stores: Stores) -> dict[str, Any]:
    """A facility, an episode and services whose texts hold NUL and the escape character."""
    ledger = stores.ledger
    world = a_world(ledger, capacity=2)
    facility = ledger.register_facility(
        ADMIN,
        kind="shelter",
        name=f"Shelter\x00{ESC}0",
        settlement=f"Bredy\x00{ESC}{ESC}",
        capacity=3,
        occurred_on=date(2024, 1, 1),
    ).id
    episode = ledger.open_episode(
        HOSTILE,
        participant_id=a_participant(ledger),
        program_id=world.program,
        caseworker=HOSTILE.actor.subject,
        referral_source="self\x00",
        occurred_on=MARCH,
    ).id
    ledger.start_placement(HOSTILE, episode, facility_id=facility, occurred_on=MARCH)
    for settlement in ("Kizil\x00skoe", f"{ESC}0", "Kizil"):
        ledger.deliver_service(
            HOSTILE, episode, kind="transport", quantity=2, settlement=settlement, occurred_on=MARCH
        )
    return {"program": world.program, "facility": str(facility), "episode": str(episode)}


def _answers(read: ReadStore, made: dict[str, Any]) -> dict[str, Any]:
    """What the live generation of each model answers about the hostile texts."""
    models: dict[str, Any] = {cls.name: cls(read) for cls in MODELS}
    with models["caseloads"].reading() as r:
        caseload = models["caseloads"].caseload(r, HOSTILE.actor.subject, date(2024, 6, 1))
    with models["occupancy"].reading() as r:
        occupancy = models["occupancy"].on(r, MARCH)
    with models["services"].reading() as r:
        services = models["services"].report(r, made["program"], by=("settlement", "staff"))
    with models["outcomes"].reading() as r:
        outcomes = models["outcomes"].report(
            r, made["program"], date(2024, 1, 1), date(2024, 12, 31)
        )
    return {
        "caseload": [e.episode_id for e in caseload.episodes],
        "facilities": {(d.facility_id, d.name, d.settlement, d.residents) for d in occupancy},
        "services": {
            (c.dimensions["settlement"], c.dimensions["staff"], c.quantity) for c in services
        },
        "outcomes": [(i.indicator, i.count) for i in outcomes.indicators],
    }


@pytest.mark.parametrize("batch_size", [1, 500])
def test_every_read_model_stores_text_with_nul_and_a_rebuild_agrees(
    stores: Stores, batch_size: int
) -> None:
    made = _hostile_events(stores)
    head = stores.ledger.recorder.max_notification_id()
    models = [cls(stores.read) for cls in MODELS]
    for model in models:
        model.create_tables()
    Follower(stores.ledger, *models, batch_size=batch_size).catch_up()
    assert {m.name: m.position() for m in models} == {m.name: head for m in models}

    live = _answers(stores.read, made)
    assert live["caseload"] == [made["episode"]]
    assert (made["facility"], f"Shelter\x00{ESC}0", f"Bredy\x00{ESC}{ESC}", 1) in live["facilities"]
    assert live["services"] == {
        ("Kizil\x00skoe", HOSTILE.actor.subject, 2),
        (f"{ESC}0", HOSTILE.actor.subject, 2),
        ("Kizil", HOSTILE.actor.subject, 2),
    }
    rebuilt = rebuild(stores.ledger, stores.read, *MODELS)
    assert rebuilt.position == head
    assert _answers(stores.read, made) == live
