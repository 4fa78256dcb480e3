"""Claims through HTTP, on seed 000's shape: a supervisor's claim freezes the outcomes achieved
in its period as known at a moment, with their evidence and the signed checkpoint covering it;
an assessor judges each line, then the claim; a fact recorded later leaves the claim as it was."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import OTHER, OWN, Api, serve
from tests.api.test_outcome_status import SUSTAINED_ON, Seed, institutional, seeded
from tests.api.world import TODAY, day


@pytest.fixture
def sealing_api(store_url: str, tmp_path: Path) -> Iterator[Api]:
    """An API whose seal signs a checkpoint after every event."""
    with serve(store_url, tmp_path, checkpoint_every_events=1) as running:
        yield running


def sealed(api: Api, position: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        latest = api.get("/v1/audit/checkpoints/latest", role="auditor")
        if latest.status_code == 200 and latest.json()["position"] >= position:
            return
        time.sleep(0.05)
    raise AssertionError(f"no checkpoint reached position {position}")


def claim_body(seed: Seed, **change: Any) -> dict[str, Any]:
    return {
        "program_id": seed.program,
        "period_start": day(1000),
        "period_end": TODAY.isoformat(),
        "known_at": seed.moment,
        **change,
    }


def submitted(api: Api, body: dict[str, Any], key: str = "claim-1") -> dict[str, Any]:
    answer = api.post("/v1/claims", body, role="supervisor", **{"Idempotency-Key": key})
    assert answer.status_code in (200, 201), answer.text
    assert answer.headers["location"] == f"/v1/claims/{answer.json()['id']}"
    found = api.get(f"/v1/claims/{answer.json()['id']}", role="assessor")
    assert found.status_code == 200, found.text
    claim: dict[str, Any] = found.json()
    return claim


def test_a_claim_pays_exactly_the_outcomes_achieved_as_known_then_and_never_changes(
    sealing_api: Api,
) -> None:
    api = sealing_api
    seed = seeded(api)
    sealed(api, seed.head)
    claim = submitted(api, claim_body(seed))

    lines = {(line["key"], line["participant_id"]): line for line in claim["lines"]}
    letters = {person: letter for letter, person in seed.people.items()}
    assert sorted((key, letters[person]) for key, person in lines) == [
        ("no_return", "B"), ("no_return", "C"), ("no_return", "D"),
        ("withdrawn", "H1"), ("withdrawn", "H2"),
    ]  # fmt: skip
    # As known then: version 1 (12 months), C's admission not yet recorded, D's voided.
    assert claim["definitions"] == {"no_return": 1, "withdrawn": 1}
    no_return = [line for line in claim["lines"] if line["key"] == "no_return"]
    assert [line["amount"] for line in no_return] == [150000, 150000, 0]  # cap 2
    assert {line["on"] for line in no_return} == {SUSTAINED_ON.isoformat()}
    assert lines[("no_return", seed.people["B"])]["evidence"] == [seed.events["placed B"]]
    assert lines[("withdrawn", seed.people["H1"])]["evidence"] == [seed.events["withdrawn H1"]]
    assert claim["total"] == 400000
    assert claim["checkpoint"]["position"] >= 1
    assert claim["submitted_by"] == "supervisor-1"

    again = api.post(
        "/v1/claims", claim_body(seed), role="supervisor", **{"Idempotency-Key": "claim-1"}
    )
    assert (again.status_code, again.json()["id"]) == (200, claim["id"])

    # A back-dated admission of B, recorded after the claim: the claim stays as it was, and its
    # restatement shows the difference line by line, with the entries that make it.
    admitted_b = institutional(api, seed.people["B"], "admission", 400)
    assert api.get(f"/v1/claims/{claim['id']}", role="supervisor").json() == claim
    restated = api.get(f"/v1/claims/{claim['id']}/restatement", role="assessor")
    assert restated.status_code == 200, restated.text
    now = {letters[line["participant_id"]]: line for line in restated.json()["lines"]}
    assert [line["line"] for line in restated.json()["lines"]] == [1, 2, 3, 4, 5]
    for letter, broken in (("B", admitted_b), ("C", seed.events["admitted C"])):
        assert now[letter]["changed"], letter
        assert (now[letter]["now"]["state"], now[letter]["now"]["broken_by"]) == ("failed", broken)
        assert now[letter]["because"] == [broken]
    assert (now["D"]["now"]["state"], now["D"]["now"]["amount"]) == ("achieved", 150000)
    assert [now[h]["changed"] for h in ("H1", "H2")] == [False, False]
    assert [now[h]["because"] for h in ("H1", "H2")] == [[], []]
    assert now["H1"]["claimed"] == {
        k: lines[("withdrawn", seed.people["H1"])][k] for k in ("on", "amount", "evidence")
    }
    assert (restated.json()["claimed_total"], restated.json()["total_now"]) == (400000, 250000)

    path = f"/v1/claims/{claim['id']}"
    for line, verdict in enumerate(["verified"] * 4 + ["disputed"], start=1):
        reason = "H2's withdrawal letter is unsigned" if verdict == "disputed" else ""
        judged = api.post(
            path + "/judgements", {"line": line, "verdict": verdict, "reason": reason},
            role="assessor",
        )  # fmt: skip
        assert judged.status_code == 201, judged.text
    decided = api.post(
        path + "/decision", {"verdict": "accepted", "reason": "four lines hold"}, role="assessor"
    )
    assert decided.status_code == 201, decided.text
    final = api.get(path, role="auditor").json()
    listed = api.get(path + "/lines", role="supervisor")
    assert listed.status_code == 200, listed.text
    assert listed.json()["lines"] == final["lines"]
    as_csv = api.http.get(path + "/lines", headers={**api.as_("supervisor"), "Accept": "text/csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(as_csv.text)))
    last = table[-1]
    assert (last["line"], last["key"], last["verdict"]) == ("5", "withdrawn", "disputed")
    assert table[0]["evidence"] == " ".join(final["lines"][0]["evidence"])
    assert [line["verdict"] for line in final["lines"]] == ["verified"] * 4 + ["disputed"]
    assert final["decision"]["amount"] == 350000
    assert final["decision"]["by"] == "assessor-1"
    refused = api.post(path + "/decision", {"verdict": "rejected", "reason": "x"}, role="assessor")
    assert (refused.status_code, refused.json()["code"]) == (409, "claim_decided")
    head = api.log_head()
    listed_claims = api.get("/v1/claims", role="supervisor", program=OWN, min_position=head)
    assert listed_claims.status_code == 200, listed_claims.text
    assert listed_claims.json()["claims"] == [
        {
            "id": claim["id"], "program_id": seed.program, "period_start": day(1000),
            "period_end": TODAY.isoformat(), "total": 400000, "submitted_by": "supervisor-1",
            "decision": "accepted", "paid": 350000,
        }
    ]  # fmt: skip
    others = api.http.get(
        "/v1/claims", params={"min_position": head}, headers=api.as_("supervisor", [OTHER])
    )
    assert others.json()["claims"] == []
    assert api.get("/v1/claims", role="caseworker").status_code == 403
    for method in ("PUT", "PATCH", "DELETE", "OPTIONS"):
        other = api.http.request(method, "/v1/claims", headers=api.as_("supervisor"))
        assert (other.status_code, other.headers["allow"]) == (405, "GET, POST"), method
        assert other.json()["code"] == "method_not_allowed"


def test_a_claim_whose_evidence_no_checkpoint_covers_is_refused_and_nothing_written(
    api: Api,
) -> None:
    seed = seeded(api)  # the default seal signs every 1,000 events or 60 s: not yet
    head = api.log_head()
    refused = api.post("/v1/claims", claim_body(seed), role="supervisor")
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "claim_evidence_unsealed"
    assert "checkpoints/latest" in refused.json()["detail"]
    assert api.log_head() == head


def test_only_a_programs_supervisor_claims_and_only_its_assessors_judge(sealing_api: Api) -> None:
    api = sealing_api
    seed = seeded(api)
    sealed(api, seed.head)
    for role in ("caseworker", "assessor", "auditor", "analyst", "admin"):
        refused = api.post("/v1/claims", claim_body(seed), role=role)
        assert refused.status_code == 403, (role, refused.text)
    outsider = api.http.post(
        "/v1/claims", json=claim_body(seed), headers=api.as_("supervisor", [OTHER])
    )
    assert outsider.status_code == 403, outsider.text
    claim = submitted(api, claim_body(seed))
    path = f"/v1/claims/{claim['id']}"
    judgement = {"line": 1, "verdict": "verified"}
    for role in ("caseworker", "supervisor", "auditor", "admin"):
        assert api.post(path + "/judgements", judgement, role=role).status_code == 403, role
    foreign = api.http.post(
        path + "/judgements", json=judgement, headers=api.as_("assessor", [OTHER])
    )
    assert foreign.status_code == 403, foreign.text
    assert api.get(path, role="caseworker").status_code == 403
    assert api.get(path + "/restatement", role="analyst").status_code == 403
    assert api.http.get(path, headers=api.as_("assessor", [OTHER])).status_code == 403
    # An assessor reads and judges; it records no case data.
    person = {"target_groups": ["elderly"], "settlement": "X", "birth_year": 1950,
              "prior_residence": "own_home"}  # fmt: skip
    assert api.post("/v1/participants", person, role="assessor").status_code == 403
    assert api.http.get(path, headers=api.as_("assessor", [OWN])).status_code == 200


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"period_end": "2000-01-01"}, 422, "invalid_period"),
        ({"known_at": "2999-01-01T00:00:00Z"}, 422, "invalid_value"),
        ({"known_at": "yesterday"}, 422, "invalid_request"),
        ({"program_id": "not-an-id"}, 422, "invalid_request"),
        ({"lines": []}, 422, "invalid_request"),
    ],
)
def test_a_claim_asked_wrongly_is_refused_saying_why(
    api: Api, change: dict[str, Any], status: int, code: str
) -> None:
    seed = Seed(program=_program(api), people={}, events={}, moment="", head=0)
    body = {**claim_body(seed), "known_at": None, **change}
    refused = api.post("/v1/claims", {k: v for k, v in body.items() if v is not None},
                       role="supervisor")  # fmt: skip
    assert (refused.status_code, refused.json()["code"]) == (status, code), refused.text


def _program(api: Api) -> str:
    answer = api.post(
        "/v1/programs",
        {"code": OWN, "name": "P", "financing": "grant", "period_start": day(1000),
         "period_end": day(0)},
        role="admin",
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])
