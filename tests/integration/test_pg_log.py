"""The ledger's PostgreSQL log reader answers exactly as the library's own select does."""

from __future__ import annotations

from pathlib import Path

from eventsourcing.postgres import PostgresApplicationRecorder

from api.bootstrap import ledger_for
from store.pg_log import LedgerRecorder
from tests.conftest_stores import TODAY, settings_for
from tests.integration.scenario import a_world


def test_pages_of_the_log_equal_the_librarys_pages(
    postgres_schema_url: str, tmp_path: Path
) -> None:
    ledger = ledger_for(settings_for(postgres_schema_url, tmp_path), clock=lambda: TODAY)
    try:
        a_world(ledger)
        recorder = ledger.recorder
        assert isinstance(recorder, LedgerRecorder)
        head = recorder.max_notification_id() or 0
        topics = sorted({n.topic for n in recorder.select_notifications(1, 1000)})[:2]
        asks = [
            {"start": 1, "limit": 1000},
            {"start": 3, "limit": 4},
            {"start": 3, "limit": 1000, "stop": head - 2},
            {"start": 2, "limit": 1000, "inclusive_of_start": False},
            {"start": 1, "limit": 1000, "topics": topics},
            {"start": 1, "limit": 2, "stop": head, "topics": topics[:1]},
        ]
        for ask in asks:
            ours = recorder.select_notifications(**ask)  # type: ignore[arg-type]
            library = PostgresApplicationRecorder.select_notifications(recorder, **ask)  # type: ignore[arg-type]
            assert ours == library, ask
            assert all(
                type(n.originator_id) is type(m.originator_id)
                for n, m in zip(ours, library, strict=True)
            )
        assert len(recorder.select_notifications(1, 1000)) == head >= 7
    finally:
        ledger.close()
