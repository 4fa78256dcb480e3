"""A batch a read model cannot write stops its process and every model in it, losing nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from projections.caseloads import Caseloads
from projections.services import Services
from tests.conftest_stores import ROOT, process_env
from tests.integration.scenario import CASEWORKER, MARCH, a_world
from tests.projections.conftest import open_stores


def test_a_read_model_that_cannot_write_an_event_stops_its_process_where_it_was(
    postgres_schema_url: str, tmp_path: Path
) -> None:
    stores = open_stores(postgres_schema_url)
    ledger = stores.ledger
    world = a_world(ledger)
    services, caseloads = stores.project(Services), stores.project(Caseloads)
    before = ledger.recorder.max_notification_id()
    # A table that refuses the row (a constraint added by hand, a disk that fills up, ...).
    with stores.read.transaction() as tx:
        tx.execute(
            f"ALTER TABLE {services.t('entries')}"
            " ADD CONSTRAINT refused CHECK (settlement <> 'Bredy')"
        )
    ledger.deliver_service(
        CASEWORKER, world.episode, kind="home_care", quantity=1,
        settlement="Bredy", occurred_on=MARCH,
    )  # fmt: skip
    try:
        done = subprocess.run(
            [sys.executable, "-m", "api.cli", "project", "services", "caseloads"],
            env=process_env(postgres_schema_url, tmp_path),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        head = ledger.recorder.max_notification_id()
        assert before is not None
        assert head == before + 1
        assert done.returncode != 0
        for name in ("services", "caseloads"):
            assert f"{name}: following from position {before}" in done.stdout
            assert f"{name}: stopped at position {before} (log head {head}) by " in done.stdout
        assert "Bre" not in done.stdout  # the event's text stays out of the report
        # The batch rolled back whole, caseloads' rows with it: both retry the same event.
        assert services.position() == caseloads.position() == before
    finally:
        stores.read.close()
        ledger.close()
