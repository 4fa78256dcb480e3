"""A program in the INDIGO data standard, through HTTP and the command line, on seed 000's
shape: the metrics, targets, prices and results are the outcome-status endpoint's numbers, the
payments those of accepted claims, as known at any moment; nobody is named."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import OTHER, OWN, Api, serve
from tests.api.test_answers import answer_schema, validator
from tests.api.test_claims import claim_body, sealed, submitted
from tests.api.test_outcome_status import Seed, created, seeded, status
from tests.api.world import TODAY
from tests.conftest_stores import process_env

AS_OF = TODAY.isoformat()
JOB: dict[str, Any] = {
    "key": "job",
    "name": "A job on the open market",
    "condition": {
        "kind": "occurs",
        "fact": "job_started",
        "where": {"employment": ["open_market"]},
    },
    "price": 70000,
    "cap": 5,
    "reason": "contract, annex 3",
}


@pytest.fixture
def sealing_api(store_url: str, tmp_path: Path) -> Iterator[Api]:
    """An API whose seal signs a checkpoint after every event (claims need one)."""
    with serve(store_url, tmp_path, checkpoint_every_events=1) as running:
        yield running


def exported(api: Api, seed: Seed, role: str = "supervisor", **query: Any) -> dict[str, Any]:
    response = api.get(
        f"/v1/programs/{seed.program}/indigo", role=role, min_position=seed.head, **query
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def by_metric(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["outcome_metric_id"]["value"]: item for item in items}


def test_the_export_carries_the_outcome_status_numbers_and_names_nobody(api: Api) -> None:
    seed = seeded(api)
    body = exported(api, seed, as_of=AS_OF)
    counts = {o["key"]: o for o in status(api, seed, as_of=AS_OF)["outcomes"]}
    document = api.http.get("/openapi.json").json()
    validator(document, answer_schema(document, "/v1/programs/{program_id}/indigo")).validate(body)

    assert (body["indigo_version"], body["program_id"], body["program_code"]) == (
        "4.1.0", seed.program, OWN,
    )  # fmt: skip
    assert (body["as_of"], body["known_at"]) == (AS_OF, None)
    project = body["project"]
    assert project["name"] == {"value": "Accompanied accommodation"}
    metrics = {m["id"]: m for m in project["outcome_metrics"]}
    assert sorted(metrics) == sorted(counts) == ["no_return", "withdrawn"]
    for key, metric in metrics.items():
        assert metric["definition"] == {"value": counts[key]["name"]}
        assert metric["notes"] == f"Definition version {counts[key]['version']} of outcome {key}"
    assert metrics["no_return"]["targeted_number_of_service_users_or_beneficiaries_total"] == {
        "value": counts["no_return"]["cap"]
    }
    assert "targeted_number_of_service_users_or_beneficiaries_total" not in metrics["withdrawn"]
    assert metrics["no_return"]["target_population"] == {
        "value": "prior residence: inpatient_institution"
    }
    assert (
        "24 months after placement_started"
        in metrics["no_return"]["outcome_metric_target"]["value"]
    )  # the current version, recorded last

    pricings = by_metric(project["outcome_pricings"])
    assert pricings["no_return"] == {
        "outcome_metric_id": {"value": "no_return"},
        "price_per_unit": {"amount": {"value": 150000}},
        "maximum_price_if_all_targets_achieved": {"amount": {"value": "300000"}},
    }
    assert pricings["withdrawn"]["price_per_unit"] == {"amount": {"value": 50000}}
    assert "maximum_price_if_all_targets_achieved" not in pricings["withdrawn"]
    results = by_metric(project["results"])
    for key, result in results.items():
        c = counts[key]
        assert result["number_engaged_in_impact_bond"] == {"value": c["cohort_size"]}
        assert result["number_with_positive_social_outcomes"] == {"value": c["achieved"]}
        assert result["period"]["end_date"] == {"value": AS_OF}
        assert result["other_description_of_result"]["value"].startswith(
            f"On {AS_OF}: {c['pending']} pending, {c['achieved']} achieved, {c['failed']} failed;"
            f" {c['paid']} payable"
        )
        assert result["other_description_of_result"]["value"].endswith(f"amount {c['amount']}")
    assert results["withdrawn"]["number_with_positive_social_outcomes"] == {"value": 2}
    assert project["outcome_payments"] == []
    assert project["overall_project_finance"] == {
        "total_outcome_payments_made": {"amount": {"value": 0}}
    }  # withdrawn has no cap: no maximum

    text = json.dumps(body)
    for name, identifier in [*seed.people.items(), *seed.events.items()]:
        assert identifier not in text, name
        assert identifier.replace("-", "") not in text, name
    assert "Ivan" not in text


def test_as_known_before_a_definition_existed_it_is_left_out(api: Api) -> None:
    seed = seeded(api)
    time.sleep(0.01)
    moment = datetime.now(UTC).isoformat()
    time.sleep(0.01)
    created(api, f"/v1/programs/{seed.program}/outcome-definitions", JOB, role="admin")
    seed.head = api.log_head()

    now = exported(api, seed, as_of=AS_OF)
    assert [m["id"] for m in now["project"]["outcome_metrics"]] == ["job", "no_return", "withdrawn"]
    assert now["project"]["overall_project_finance"]["total_outcome_payments_made"] == {
        "amount": {"value": 0}
    }
    before = exported(api, seed, as_of=AS_OF, known_at=moment)
    assert [m["id"] for m in before["project"]["outcome_metrics"]] == ["no_return", "withdrawn"]
    assert [r["outcome_metric_id"]["value"] for r in before["project"]["results"]] == [
        "no_return", "withdrawn",
    ]  # fmt: skip
    then = exported(api, seed, as_of=AS_OF, known_at=seed.moment)
    no_return = then["project"]["outcome_metrics"][0]
    assert no_return["notes"] == "Definition version 1 of outcome no_return"
    assert "12 months after placement_started" in no_return["outcome_metric_target"]["value"]
    assert datetime.fromisoformat(then["known_at"]) == datetime.fromisoformat(seed.moment)


def test_analysts_read_it_and_a_caseworker_of_another_program_may_not(api: Api) -> None:
    seed = seeded(api)
    analyst = exported(api, seed, role="analyst", as_of=AS_OF)
    assert analyst["project"] == exported(api, seed, as_of=AS_OF)["project"]
    by_code = api.get(f"/v1/programs/{OWN}/indigo", role="analyst", as_of=AS_OF)
    assert (by_code.status_code, by_code.json()["program_id"]) == (200, seed.program)
    other = api.http.get(
        f"/v1/programs/{seed.program}/indigo", headers=api.as_("caseworker", [OTHER])
    )
    assert (other.status_code, other.json()["code"]) == (403, "forbidden")
    unknown = api.get("/v1/programs/NOSUCH/indigo", role="admin")
    assert unknown.status_code == 404, unknown.text


def test_an_accepted_claim_is_an_actual_payment_of_its_verified_lines(sealing_api: Api) -> None:
    api = sealing_api
    seed = seeded(api)
    sealed(api, seed.head)
    claim = submitted(api, claim_body(seed))
    path = f"/v1/claims/{claim['id']}"
    for line, verdict in enumerate(["verified"] * 4 + ["disputed"], start=1):
        judgement = {"line": line, "verdict": verdict, "reason": "unsigned" if line == 5 else ""}
        assert api.post(path + "/judgements", judgement, role="assessor").status_code == 201
    time.sleep(0.01)
    undecided = datetime.now(UTC).isoformat()
    time.sleep(0.01)
    decided = api.post(path + "/decision", {"verdict": "accepted", "reason": "ok"}, role="assessor")
    assert decided.status_code == 201, decided.text
    seed.head = api.log_head()

    project = exported(api, seed, as_of=AS_OF)["project"]
    # no_return: B and C verified (150000 each), D over the cap (0); withdrawn: H1 only.
    assert project["outcome_payments"] == [
        {
            "outcome_metric_id": {"value": key},
            "period": {
                "start_date": {"value": claim["period_start"]},
                "end_date": {"value": claim["period_end"]},
            },
            "type": {"value": "Actual"},
            "money": {"amount": {"value": amount}},
            "notes": f"Claim {claim['id']}, accepted",
        }
        for key, amount in (("no_return", 300000), ("withdrawn", 50000))
    ]
    assert project["overall_project_finance"]["total_outcome_payments_made"] == {
        "amount": {"value": api.get(path, role="assessor").json()["decision"]["amount"]}
    }
    before = exported(api, seed, as_of=AS_OF, known_at=undecided)["project"]
    assert before["outcome_payments"] == []


def ledger(*args: str, store_url: str, folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        env=process_env(store_url, folder),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_command_line_writes_the_same_export(api: Api, store_url: str, tmp_path: Path) -> None:
    seed = seeded(api)
    body = exported(api, seed, as_of=AS_OF)
    written = tmp_path / "indigo.json"
    done = ledger(
        "export-indigo", OWN, str(written), "--as-of", AS_OF, store_url=store_url, folder=tmp_path
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"wrote program {OWN} on {AS_OF}" in done.stdout
    exported_file = json.loads(written.read_text(encoding="utf-8"))
    assert exported_file["project"] == body["project"]
    assert (exported_file["program_id"], exported_file["as_of"]) == (seed.program, AS_OF)
    unknown = ledger(
        "export-indigo", "NOSUCH", str(tmp_path / "none.json"), store_url=store_url, folder=tmp_path
    )
    assert unknown.returncode == 2, unknown.stdout + unknown.stderr
    assert "no program" in unknown.stderr
    assert not (tmp_path / "none.json").exists()
