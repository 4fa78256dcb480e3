"""`ledger report` prints the counts GET /v1/reports answers, as CSV, from the same read
models."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import date
from pathlib import Path

from tests.api.conftest import Api
from tests.conftest_stores import process_env
from tests.integration.scenario import CASEWORKER, a_world


def ledger(store_url: str, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", "report", *args],
        env=process_env(store_url, folder),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_reports_on_the_command_line_are_those_over_http(
    api: Api, store_url: str, tmp_path: Path
) -> None:
    world = a_world(api.ledger)
    for day in (1, 2, 3):
        api.ledger.deliver_service(
            CASEWORKER, world.episode, kind="consultation_psychologist", quantity=day,
            settlement="Kopeysk", occurred_on=date(2024, 3, day),
        )  # fmt: skip
    head = api.log_head()
    supervisor = api.as_("supervisor", ["STEP"])
    over_http = api.http.get(
        "/v1/reports/outcomes", headers=supervisor,
        params={"program": "STEP", "min_position": head, "from": "2024-01-01", "to": "2024-12-31"},
    ).json()  # fmt: skip
    done = ledger(
        store_url, tmp_path, "outcomes", "STEP", "--from", "2024-01-01", "--to", "2024-12-31"
    )
    assert done.returncode == 0, done.stderr
    *rows, footer = done.stdout.splitlines()
    printed = {r["indicator"]: r for r in csv.DictReader(io.StringIO("\n".join(rows)))}
    assert {k: int(v["count"]) for k, v in printed.items()} == {
        i["indicator"]: i["count"] for i in over_http["indicators"]
    }
    assert printed["served"]["target"] == "200"
    assert int(printed["served"]["count"]) == 1
    assert footer == f"# as far as the read model reached: log position {over_http['position']}"

    services = api.http.get(
        "/v1/reports/services", headers=supervisor,
        params={"program": "STEP", "min_position": head, "by": "kind"},
    ).json()  # fmt: skip
    done = ledger(store_url, tmp_path, "services", "STEP", "--by", "kind")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "kind,services,quantity,people"
    assert lines[1:-1] == [
        f"{r['kind']},{r['services']},{r['quantity']},{r['people']}" for r in services["rows"]
    ]
    assert "consultation_psychologist,3,6,1" in lines

    unknown = ledger(store_url, tmp_path, "services", "NOSUCH")
    assert unknown.returncode == 2
    assert unknown.stderr.startswith("ledger report: ")
    bad = ledger(store_url, tmp_path, "services", "STEP", "--by", "colour")
    assert bad.returncode == 2
    assert "unknown dimensions" in bad.stderr
