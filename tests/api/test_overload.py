"""A writer that cannot keep up refuses at once with 503 and Retry-After, and writes nothing."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.api.conftest import serve
from tests.api.world import a_world, day
from tests.integration.locks import event_table_locked


def test_a_full_commit_queue_answers_503_with_retry_after_and_writes_nothing(
    postgres_schema_url: str, tmp_path: Path
) -> None:
    with serve(postgres_schema_url, tmp_path, commit_queue_limit=0) as api:
        world = a_world(api)
        body = {"kind": "home_care", "settlement": "Bredy", "occurred_on": day(1)}
        path = f"/v1/episodes/{world.episode}/services"
        head = api.ledger.recorder.max_notification_id()

        with ThreadPoolExecutor(1) as pool, httpx.Client(base_url=api.url) as other:
            with event_table_locked(postgres_schema_url):
                first = pool.submit(api.post, path, body)
                time.sleep(0.3)  # the first command now waits for the lock, holding the writer
                refused = other.post(path, json=body, headers=api.as_("caseworker"))
            written = first.result(timeout=30)

        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "1"
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "overloaded"
        assert written.status_code == 201
        assert api.ledger.recorder.max_notification_id() == head + 1
        metrics = dict(
            line.rsplit(" ", 1)
            for line in api.get("/metrics", role=None).text.splitlines()
            if line.startswith("ledger_commit")
        )
        transactions = float(metrics["ledger_commit_group_commands_count"])
        assert transactions >= 5  # the world's commands, and the one written here
        assert float(metrics["ledger_commit_group_commands_sum"]) >= transactions
        assert float(metrics["ledger_commit_queue_depth"]) == 0


def test_a_command_of_a_batch_meeting_a_full_queue_is_refused_alone_with_503(
    postgres_schema_url: str, tmp_path: Path
) -> None:
    with serve(postgres_schema_url, tmp_path, commit_queue_limit=0) as api:
        world = a_world(api)
        body = {"kind": "home_care", "settlement": "Bredy", "occurred_on": day(1)}
        path = f"/v1/episodes/{world.episode}/services"
        item = {"path": path, "idempotency_key": "offline-1", "body": body}

        with ThreadPoolExecutor(1) as pool, httpx.Client(base_url=api.url) as other:
            with event_table_locked(postgres_schema_url):
                first = pool.submit(api.post, path, body)
                time.sleep(0.3)  # the first command now waits for the lock, holding the writer
                batch = other.post(
                    "/v1/batch", json={"commands": [item]}, headers=api.as_("caseworker")
                )
            assert first.result(timeout=30).status_code == 201

        assert batch.status_code == 200
        (result,) = batch.json()["results"]
        assert result["status"] == 503
        assert result["problem"]["code"] == "overloaded"
        assert result["problem"]["status"] == 503
