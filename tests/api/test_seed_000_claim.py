"""Seed 000 end to end through HTTP, as its social impact contract reads: 24 people, 16 who
moved out of psychoneurological boarding homes into training apartments and 8 living at home
who withdrew their applications for inpatient care; the investor is repaid per person who did
not return to an institution for 12 months after moving out, per withdrawal, and per job
started on the open market or in a supported workshop. The claim after the windows close pays
exactly those outcomes; the assessor verifies it; a back-dated admission recorded later leaves
it as it was and shows in its restatement. Its package verifies offline with the claim's
figures, and fails at any evidence event edited in it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.claim_packages import (
    a_day_later,
    check,
    edited,
    entry_position,
    fetched,
    public_key,
    run_alone,
)
from tests.api.conftest import Api, serve
from tests.projections.seed_http import batch, define, on_episodes, served

PRICES = {"no_return": 150_000, "withdrawn": 50_000, "job": 100_000}
DEFINITIONS: list[dict[str, Any]] = [
    {
        "key": "no_return",
        "name": "No return to an institution for 12 months after moving out",
        "condition": {
            "kind": "sustained",
            "start": "placement_started",
            "without": "institutional_admission",
            "months": 12,
        },
        "cohort": {"prior_residence": ["inpatient_institution"]},
        "window": {"start": "2020-01-01", "end": "2021-06-30"},
        "price": PRICES["no_return"],
        "cap": 16,
    },
    {
        "key": "withdrawn",
        "name": "Application for inpatient care withdrawn",
        "condition": {"kind": "occurs", "fact": "application_withdrawn"},
        "cohort": {"prior_residence": ["parental_family"]},
        "window": {"start": "2020-01-01", "end": "2022-06-30"},
        "price": PRICES["withdrawn"],
        "cap": 8,
    },
    {
        "key": "job",
        "name": "Job started on the open market or in a supported workshop",
        "condition": {
            "kind": "occurs",
            "fact": "job_started",
            "where": {"employment": ["open_market", "supported_workshop"]},
        },
        "window": {"start": "2020-01-01", "end": "2022-06-30"},
        "price": PRICES["job"],
    },
]


@pytest.fixture
def api(store_url: str, tmp_path: Path) -> Iterator[Api]:
    with serve(store_url, tmp_path, checkpoint_every_events=1) as running:
        yield running


def test_the_investor_is_repaid_for_exactly_the_outcomes_the_assessor_verifies(
    api: Api, tmp_path: Path
) -> None:
    seed = define(api, "SIB-000", "2020-01-01", "2022-12-31", {"served": 24})
    codes = [seed.code]
    boarded = served(
        api, seed, codes, 16, "mental_disability", "inpatient_institution", "2020-03-01"
    )
    at_home = served(api, seed, codes, 8, "mental_disability", "parental_family", "2020-03-01")
    apartment = api.post(
        "/v1/facilities",
        {"kind": "training_apartment", "name": "Training apartments", "settlement": "Chelyabinsk",
         "capacity": 16, "occurred_on": "2020-01-15", "programs": [seed.program]},
        role="admin",
    )  # fmt: skip
    assert apartment.status_code == 201, apartment.text
    placed = on_episodes(
        api, seed, [e for _, e in boarded], "placements",
        {"facility_id": apartment.json()["id"], "occurred_on": "2020-04-01"},
    )  # fmt: skip
    withdrawn = batch(
        api, codes,
        [(f"/v1/participants/{p}/institutional-events",
          {"event": "application_withdrawn", "institution_kind": "psychoneurological_boarding_home",
           "occurred_on": "2020-06-01"}) for p, _ in at_home],
    )  # fmt: skip
    jobs = {"open_market": boarded[:5] + at_home[:2], "supported_workshop": boarded[5:8]}
    started = {
        employment: on_episodes(
            api,
            seed,
            [e for _, e in people],
            "jobs",
            {"employment": employment, "occupation": "cleaner", "occurred_on": "2021-09-01"},
        )
        for employment, people in jobs.items()
    }
    for definition in DEFINITIONS:
        made = api.post(
            f"/v1/programs/{seed.program}/outcome-definitions",
            {**definition, "reason": "contract with the region, annex 2"},
            role="admin",
        )
        assert made.status_code == 201, made.text
    supervisor = api.as_("supervisor", codes)
    head = api.log_head()
    deadline = time.monotonic() + 10
    while api.get("/v1/audit/checkpoints/latest", role="auditor").json()["position"] < head:
        assert time.monotonic() < deadline, "the seal did not catch up"
        time.sleep(0.05)

    # After the windows close: the claim for the whole project.
    body = {"program_id": seed.program, "period_start": "2020-01-01", "period_end": "2022-12-31"}
    answer = api.http.post(
        "/v1/claims", json=body, headers={**supervisor, "Idempotency-Key": "sib-000-final"}
    )
    assert answer.status_code == 201, answer.text
    path = f"/v1/claims/{answer.json()['id']}"
    claim = api.http.get(path, headers=supervisor).json()
    by_key: dict[str, dict[str, list[str]]] = {}
    for line in claim["lines"]:
        by_key.setdefault(line["key"], {})[line["participant_id"]] = line["evidence"]
    assert by_key["no_return"] == {
        p: [result["event_id"]] for (p, _), result in zip(boarded, placed, strict=True)
    }
    assert by_key["withdrawn"] == {
        p: [result["event_id"]] for (p, _), result in zip(at_home, withdrawn, strict=True)
    }
    assert by_key["job"] == {
        p: [result["event_id"]]
        for employment, people in jobs.items()
        for (p, _), result in zip(people, started[employment], strict=True)
    }
    assert claim["total"] == 16 * 150_000 + 8 * 50_000 + 10 * 100_000
    assert claim["definitions"] == {"job": 1, "no_return": 1, "withdrawn": 1}
    assert claim["checkpoint"]["position"] <= head

    assessor = api.as_("assessor", codes, sub="veb-assessor")
    for number in range(1, len(claim["lines"]) + 1):
        verdict = {"line": number, "verdict": "verified", "reason": "events and seal hold"}
        judged = api.http.post(path + "/judgements", json=verdict, headers=assessor)
        assert judged.status_code == 201, judged.text
    decision = {"verdict": "accepted", "reason": "every outcome verified"}
    accepted = api.http.post(path + "/decision", json=decision, headers=assessor)
    assert accepted.status_code == 201, accepted.text

    # A back-dated admission, recorded after the claim: 2020-09-01, within the first's year.
    first = boarded[0][0]
    admission = api.http.post(
        f"/v1/participants/{first}/institutional-events",
        json={"event": "admission", "institution_kind": "psychoneurological_boarding_home",
              "occurred_on": "2020-09-01"},
        headers=api.as_("caseworker", codes),
    )  # fmt: skip
    assert admission.status_code == 201, admission.text
    final = api.http.get(path, headers=supervisor).json()
    assert {k: v for k, v in final.items() if k not in ("decision", "lines", "version")} == {
        k: v for k, v in claim.items() if k not in ("decision", "lines", "version")
    }
    assert final["decision"]["amount"] == claim["total"]
    restated = api.http.get(path + "/restatement", headers=assessor).json()
    changed = [line for line in restated["lines"] if line["changed"]]
    assert [(line["participant_id"], line["key"]) for line in changed] == [(first, "no_return")]
    assert changed[0]["now"]["state"] == "failed"
    assert changed[0]["because"] == [admission.json()["event_id"]]
    assert restated["total_now"] == claim["total"] - 150_000

    # The assessor's package: checked alone, as known when the claim was frozen.
    package = fetched(api, answer.json()["id"], assessor)
    key = public_key(api)
    code, output = run_alone(package, key, tmp_path)
    assert code == 0, output
    figures = output.splitlines()[1:-2]
    assert figures == [
        "  job v1: 10 lines, 1,000,000",
        "  no_return v1: 16 lines, 2,400,000",
        "  withdrawn v1: 8 lines, 400,000",
        f"  total {claim['total']:,}",
    ]
    for line in claim["lines"]:
        for entry in line["evidence"]:
            position = entry_position(package, entry)
            verdict = check(edited(package, position, a_day_later), key)
            assert verdict.startswith(f"FAILED: position {position} ("), verdict
            assert verdict.endswith("altered (the chain departs here from the ledger's seal)")
