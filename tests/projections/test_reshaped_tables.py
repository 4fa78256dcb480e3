"""A new version of the code that changes a read model's tables replays the log into new ones."""

from __future__ import annotations

from typing import Any, ClassVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.program import Program
from projections.caseloads import Caseloads
from projections.follower import Follower
from projections.model import handles
from projections.seal import AuditChain
from store.read_store import ReadStore
from tests.integration.scenario import a_world
from tests.projections.conftest import Stores


class EarlierCaseloads(Caseloads):
    """Caseloads as an earlier version of the code made them: one column fewer."""

    TABLES: ClassVar[dict[str, str]] = {
        **Caseloads.TABLES,
        "programs": "program_id TEXT PRIMARY KEY",
    }

    @handles(Program.Defined)
    def _program(self, tx: Any, event: Any, position: int) -> None:
        tx.execute(f"INSERT INTO {self.t('programs')} VALUES (?)", (str(event.originator_id),))


def columns(store: ReadStore, table: str) -> int:
    with store.transaction() as tx:
        return len(tx.execute(f"SELECT * FROM {table} LIMIT 1")[0])


def test_tables_of_an_earlier_shape_are_made_again_and_the_log_replayed(stores: Stores) -> None:
    a_world(stores.ledger)
    earlier = stores.project(EarlierCaseloads)
    head = stores.ledger.recorder.max_notification_id()
    assert earlier.position() == head
    assert columns(stores.read, earlier.t("programs")) == 1

    now = Caseloads(stores.read)
    now.create_tables()  # what a process of the new version does as it starts
    assert now.position() == 0
    Follower(stores.ledger, now).catch_up()

    assert now.position() == head
    assert columns(stores.read, now.t("programs")) == 2
    again = Caseloads(stores.read)
    again.create_tables()  # the same shape: nothing is dropped
    assert again.position() == head


def test_tables_made_before_shapes_were_recorded_are_replayed_once(stores: Stores) -> None:
    a_world(stores.ledger)
    model = stores.project(Caseloads)
    with stores.read.transaction() as tx:
        tx.execute("DELETE FROM read_model_shapes")  # as a store written before this version
    model.create_tables()
    assert model.position() == 0
    Follower(stores.ledger, model).catch_up()
    model.create_tables()
    assert model.position() == stores.ledger.recorder.max_notification_id()


def test_the_audit_chain_is_never_dropped_for_its_shape(stores: Stores) -> None:
    a_world(stores.ledger)
    chain = AuditChain(stores.read, signer=Ed25519PrivateKey.generate())
    chain.create_tables()
    Follower(stores.ledger, chain).catch_up()
    reached = chain.position()
    assert reached > 0
    with stores.read.transaction() as tx:
        tx.execute("UPDATE read_model_shapes SET shape = 'older'")
    chain.create_tables()
    assert chain.position() == reached
