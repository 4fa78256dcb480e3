"""Schemathesis over the app's own OpenAPI schema, as every role: every check holds, and no
event in the store was left behind by a request the API refused.

Each role gets one `st run` of all phases (examples, coverage, fuzzing, and the stateful phase,
which follows the schema's links from what a command created to its reads and next commands),
with every check, plus `fuzz_rules.py`. The caseworker and a caseworker of another program are
peers: `object_level_authorization` replays what one reads as the other.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from tests.api.conftest import OTHER, OWN, Api, serve
from tests.api.world import a_world

# Bounded for CI: fuzzing draws this many cases per operation (46 operations), the stateful
# phase as many scenarios. The coverage phase adds one case per boundary the schema states
# (~3,000) whatever the bound, and runs for the admin only: a request's parameters and body are
# checked before its caller's role, so its cases meet the same rules under any role.
EXAMPLES_PER_OPERATION = 5
ALL_PHASES = "examples,coverage,fuzzing,stateful"
ROLES = {
    "admin": ("admin", ["*"], "admin-1"),
    "supervisor": ("supervisor", [OWN], "supervisor-1"),
    "caseworker": ("caseworker", [OWN], "caseworker-1"),
    "peer": ("caseworker", [OTHER], "caseworker-2"),
    "auditor": ("auditor", [OWN], "auditor-1"),
    "analyst": ("analyst", [OWN], "analyst-1"),
    "assessor": ("assessor", [OWN], "assessor-1"),
}
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


def users(api: Api) -> dict[str, object]:
    """Every role as a Web Fuzzing Commons user, with its bearer token."""
    return {
        "auth": [
            {
                "name": name,
                "fixedHeaders": [
                    {
                        "name": "Authorization",
                        "value": f"Bearer {api.token(role, programs, sub)}",
                    }
                ],
            }
            for name, (role, programs, sub) in ROLES.items()
        ]
    }


def config(folder: Path, user: str) -> str:
    return f"""
hooks = "tests.api.fuzz_rules"
workers = 1
request-timeout = 30

[generation]
max-examples = {EXAMPLES_PER_OPERATION}
database = "none"

[auth.wfc]
path = "{folder / "users.json"}"
user = "{user}"
peers = ["caseworker", "peer"]

# A stale If-Match answers 412; a rule the schema cannot state answers 422, or 400 for a cursor
# of another history (`fuzz_rules.py` checks that every such refusal names one of those rules).
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "400", "401", "403", "404", "409", "412", "422", "429"]

# Schemathesis' list, and 413: a batch past the body limit is refused before it is parsed.
[checks.negative_data_rejection]
expected-statuses = [
    "400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"
]
"""


@pytest.mark.parametrize("user", list(ROLES))
def test_every_check_holds_for_every_generated_request_of_every_role(
    fuzzed_api: Api, tmp_path: Path, user: str
) -> None:
    (tmp_path / "users.json").write_text(json.dumps(users(fuzzed_api)))
    (tmp_path / "st.toml").write_text(config(tmp_path, user))
    har = tmp_path / "run.har"
    started = time.monotonic()
    phases = ALL_PHASES if user == "admin" else "fuzzing,stateful"
    command = [str(Path(sys.executable).parent / "st"), "--config-file", str(tmp_path / "st.toml")]
    command += ["--no-color", "run", f"{fuzzed_api.url}/openapi.json", "--checks", "all"]
    command += ["--phases", phases, "--report", "har", "--report-har-path", str(har)]
    run = subprocess.run(
        [*command, "--output-truncate", "false"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
        cwd=tmp_path,  # where the CLI keeps its cache
        timeout=600,
        check=False,
    )
    (tmp_path / "run.txt").write_text(run.stdout + run.stderr)
    print(f"{user}: {time.monotonic() - started:.1f} s, output in {tmp_path / 'run.txt'}")
    for entry in json.loads(har.read_text())["log"]["entries"]:
        headers = {h["name"].lower(): h["value"] for h in entry["response"]["headers"]}
        status = entry["response"]["status"]
        (ANSWERED_2XX if 200 <= status < 300 else REFUSED).add(headers.get("x-request-id", ""))
    assert run.returncode == 0, run.stdout[-20_000:] + run.stderr[-5_000:]


def test_every_stored_event_belongs_to_a_request_answered_2xx(fuzzed_api: Api) -> None:
    """Runs after the fuzzing above (same module): refused requests wrote nothing."""
    ledger = fuzzed_api.ledger
    notifications = ledger.recorder.select_notifications(SETUP["head"] + 1, 1_000_000)
    events = [ledger.mapper.to_domain_event(n) for n in notifications]  # after the setup
    assert REFUSED, "the fuzzer should have provoked refusals"
    assert events, "the fuzzer should have written something"
    strays = [(type(e).__name__, e.request_id) for e in events if e.request_id not in ANSWERED_2XX]
    assert strays == []
    assert not {e.request_id for e in events} & REFUSED
