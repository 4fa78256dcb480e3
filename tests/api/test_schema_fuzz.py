"""Schemathesis over the app's own OpenAPI schema: no 5xx, no answer that breaks the schema, and no
event in the store that a refused request left behind."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from psycopg import sql
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.auth import mint
from tests.api.conftest import OWN, Api, serve
from tests.api.world import a_world

ANSWERED_2XX: set[str] = set()
REFUSED: set[str] = set()
SETUP: dict[str, int] = {}


@pytest.fixture(scope="module")
def fuzzed_api(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    schema = f"f_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    with serve(
        f"{postgres_url}?schema={schema}", tmp_path_factory.mktemp("fuzz"), read_wait_seconds=0.2
    ) as api:
        a_world(api)
        SETUP["head"] = api.ledger.recorder.max_notification_id()
        yield api


EXAMPLES_PER_OPERATION = 15


def test_the_api_answers_every_generated_request_within_its_schema(fuzzed_api: Api) -> None:
    """Every operation of /openapi.json, fed generated requests with a token that may do all."""
    token = mint(fuzzed_api.settings, "fuzzer", ["caseworker", "admin"], ["*", OWN])
    operations = [
        result.ok()
        for result in schemathesis.openapi.from_url(
            f"{fuzzed_api.url}/openapi.json"
        ).get_all_operations()
    ]
    assert len(operations) > 30

    for operation in operations:

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def call(case: Any) -> None:
            request_id = uuid.uuid4().hex
            headers = {"Authorization": f"Bearer {token}", "X-Request-ID": request_id}
            # Schema-valid requests may still break a domain rule (409/422): that is not a defect.
            response = case.call_and_validate(
                headers=headers, excluded_checks=[positive_data_acceptance]
            )
            assert response.status_code < 500
            (ANSWERED_2XX if 200 <= response.status_code < 300 else REFUSED).add(request_id)

        call()


def test_every_stored_event_belongs_to_a_request_answered_2xx(fuzzed_api: Api) -> None:
    """Runs after the fuzzing above (same module): refused requests wrote nothing."""
    ledger = fuzzed_api.ledger
    notifications = ledger.recorder.select_notifications(SETUP["head"] + 1, 1_000_000)
    events = [ledger.mapper.to_domain_event(n) for n in notifications]  # after the setup
    assert REFUSED, "the fuzzer should have provoked refusals"
    strays = [(type(e).__name__, e.request_id) for e in events if e.request_id not in ANSWERED_2XX]
    assert strays == []
    assert not {e.request_id for e in events} & REFUSED
