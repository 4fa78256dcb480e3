"""A claim's package, attacked as a forger and an outsider would: it proves the claim to an
assessor holding nothing but the ledger's public key, names the first event altered or held
back and the first line its events do not reproduce, holds nobody's personal data and no other
program's case facts, and is given only to those who may read the claim."""

from __future__ import annotations

import base64
import copy
import csv
import io
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.api.claim_packages import (
    a_day_later,
    check,
    edited,
    entry_position,
    fetched,
    public_key,
    run_alone,
    sealed_up_to,
    verifier,
)
from tests.api.conftest import Api, serve
from tests.api.test_seed_000_claim import DEFINITIONS
from tests.conftest_stores import process_env
from tests.projections.seed_http import batch, define, on_episodes, served

NAME = "Zinaida Packova"


@dataclass
class Claimed:
    api: Api
    claim: dict[str, Any]
    assessor: dict[str, str]
    codes: list[str]
    boarded: list[tuple[str, str]]
    other_program: list[tuple[str, str]]
    kept: dict[str, Any]  # a checkpoint the assessor kept before the claim's events

    @property
    def id(self) -> str:
        return str(self.claim["id"])


@pytest.fixture
def claimed(store_url: str, tmp_path: Path) -> Iterator[Claimed]:
    with serve(store_url, tmp_path, checkpoint_every_events=1) as api:
        other = define(api, "OTHER-1", "2020-01-01", "2022-12-31", {"served": 1})
        neighbours = served(api, other, [other.code], 2, "homeless", "street", "2020-02-01")
        sealed_up_to(api, api.log_head())
        kept = api.get("/v1/audit/checkpoints/latest", role="auditor").json()
        seed = define(api, "SIB-PKG", "2020-01-01", "2022-12-31", {"served": 5})
        codes = [seed.code]
        boarded = served(
            api, seed, codes, 3, "mental_disability", "inpatient_institution", "2020-03-01"
        )
        at_home = served(api, seed, codes, 2, "mental_disability", "parental_family", "2020-03-01")
        caseworker = api.as_("caseworker", codes)
        named = a_boarder(api, caseworker, seed.program, {"full_name": NAME})
        boarded.insert(0, named)
        apartment = api.post(
            "/v1/facilities",
            {"kind": "training_apartment", "name": "Flat", "settlement": "Chelyabinsk",
             "capacity": 4, "occurred_on": "2020-01-15", "programs": [seed.program]},
            role="admin",
        )  # fmt: skip
        assert apartment.status_code == 201, apartment.text
        on_episodes(
            api, seed, [e for _, e in boarded], "placements",
            {"facility_id": apartment.json()["id"], "occurred_on": "2020-04-01"},
        )  # fmt: skip
        batch(
            api, codes,
            [(f"/v1/participants/{p}/institutional-events",
              {"event": "application_withdrawn", "institution_kind": "hospital",
               "occurred_on": "2020-06-01"}) for p, _ in at_home],
        )  # fmt: skip
        on_episodes(
            api, seed, [boarded[1][1]], "jobs",
            {"employment": "open_market", "occupation": "cleaner", "occurred_on": "2021-09-01"},
        )  # fmt: skip
        neighbours += served(api, other, [other.code], 1, "homeless", "street", "2020-05-01")
        on_episodes(
            api, other, [neighbours[0][1]], "services",
            {"kind": "home_care", "quantity": 1, "settlement": "Chelyabinsk",
             "occurred_on": "2020-05-01"}, codes=[other.code],
        )  # fmt: skip
        for definition in DEFINITIONS:
            made = api.post(
                f"/v1/programs/{seed.program}/outcome-definitions",
                {**definition, "reason": "contract"},
                role="admin",
            )
            assert made.status_code == 201, made.text
        sealed_up_to(api, api.log_head())
        supervisor = api.as_("supervisor", codes)
        body = {
            "program_id": seed.program,
            "period_start": "2020-01-01",
            "period_end": "2022-12-31",
        }
        answer = api.http.post("/v1/claims", json=body, headers=supervisor)
        assert answer.status_code == 201, answer.text
        claim = api.http.get(f"/v1/claims/{answer.json()['id']}", headers=supervisor).json()
        assert len(claim["lines"]) == 4 + 2 + 1
        assessor = api.as_("assessor", codes, sub="assessor-1")
        yield Claimed(api, claim, assessor, codes, boarded, neighbours, kept)


def a_boarder(
    api: Api, caseworker: dict[str, str], program: str, personal_data: dict[str, str] | None = None
) -> tuple[str, str]:
    """(participant, episode): one more person from a boarding home, consenting, in the program."""
    person: dict[str, Any] = {"target_groups": ["mental_disability"], "settlement": "Chelyabinsk",
              "birth_year": 1985, "prior_residence": "inpatient_institution"}  # fmt: skip
    if personal_data:
        person["personal_data"] = personal_data
    registered = api.http.post("/v1/participants", json=person, headers=caseworker)
    assert registered.status_code == 201, registered.text
    participant = registered.json()["id"]
    consent = {"scope": "services", "document_ref": "C-1", "occurred_on": "2020-03-01"}
    consented = api.http.post(
        f"/v1/participants/{participant}/consents", json=consent, headers=caseworker
    )
    assert consented.status_code == 201, consented.text
    opened = api.http.post(
        "/v1/episodes",
        json={"participant_id": participant, "program_id": program, "caseworker": "cw-seed",
              "referral_source": "outreach", "occurred_on": "2020-03-01"},
        headers=caseworker,
    )  # fmt: skip
    assert opened.status_code == 201, opened.text
    return participant, str(opened.json()["id"])


def package_of(claimed: Claimed, **params: Any) -> dict[str, Any]:
    return fetched(claimed.api, claimed.id, claimed.assessor, **params)


def test_the_package_proves_the_claim_with_nothing_of_the_ledger_installed(
    claimed: Claimed, tmp_path: Path
) -> None:
    code, output = run_alone(package_of(claimed), public_key(claimed.api), tmp_path)
    assert code == 0, output
    assert output.splitlines()[1:-2] == [
        "  job v1: 1 lines, 100,000",
        "  no_return v1: 4 lines, 600,000",
        "  withdrawn v1: 2 lines, 100,000",
        "  total 800,000",
    ]
    assert output.splitlines()[-1].startswith("OK: ")


def test_the_package_holds_no_personal_data_and_no_other_programs_case_facts(
    claimed: Claimed,
) -> None:
    package = package_of(claimed)
    whole = {e["position"] for e in package["events"]}
    topics = {entry[3] for entry in package["entries"] if entry[0] in whole}
    assert not [t for t in topics if t.startswith("ledger:PersonalData")]
    states = b"".join(base64.b64decode(e["state"]) for e in package["events"])
    assert NAME.encode() not in states
    assert "Packova" not in json.dumps(package)
    # Another program's people: their episodes' openings whole (so none of a claimed person's
    # can be held back unnoticed), everything else a digest.
    early, _, late = claimed.other_program
    theirs = [e for e in package["entries"] if e[1] in early]
    assert [e[3] for e in theirs] == ["ledger:Episode.ServiceDelivered"]
    assert not [e for e in theirs if e[0] in whole]
    later = [e for e in package["entries"] if e[1] in late]
    assert {e[3] for e in later} == {
        "ledger:Participant.Registered",
        "ledger:Participant.ConsentRecorded",
        "ledger:Participant.JoinedProgram",
        "ledger:Episode.Opened",
    }
    assert [e[3] for e in later if e[0] in whole] == ["ledger:Episode.Opened"]


def test_an_edited_claim_a_forged_digest_and_a_broken_chain_are_each_named(
    claimed: Claimed,
) -> None:
    package, key = package_of(claimed), public_key(claimed.api)
    assert check(package, key).startswith("OK")
    claim_at = next(e[0] for e in package["entries"] if e[3] == "ledger:Claim.Submitted")

    def more(state: dict[str, Any]) -> None:
        state["total"] += 1

    assert check(edited(package, claim_at, more), key).startswith(
        f"FAILED: position {claim_at} (ledger:Claim.Submitted"
    )
    placement = entry_position(package, claimed.claim["lines"][0]["evidence"][0])
    naive = check(edited(package, placement, a_day_later, digest=False), key)
    assert naive.startswith(f"FAILED: position {placement} (")
    assert naive.endswith("altered (its bytes are not those the ledger stored)")
    # Without the seal's hash beside it, the edit shows where the chain next meets one.
    unhinted = check(edited(package, placement, a_day_later, chain=False), key)
    named = re.match(r"FAILED: position (\d+) ", unhinted)
    assert named, unhinted
    assert int(named.group(1)) > placement


def test_an_event_held_back_is_named(claimed: Claimed) -> None:
    package, key = package_of(claimed), public_key(claimed.api)
    person = claimed.boarded[0][0]
    consent = next(e for e in package["entries"] if e[1] == person and e[2] == 2)
    held_back = copy.deepcopy(package)
    held_back["events"] = [e for e in held_back["events"] if e["position"] != consent[0]]
    assert check(held_back, key) == (
        f"FAILED: position {consent[0]} ({consent[3]}, stream {person} v2): held back (an event"
        " of a stream the claim rests on)"
    )
    opening = next(e for e in package["entries"] if e[1] == claimed.boarded[0][1])
    hidden = copy.deepcopy(package)
    hidden["events"] = [e for e in hidden["events"] if e["position"] != opening[0]]
    assert check(hidden, key).endswith("held back (an episode's opening)")


def test_a_line_its_events_do_not_reproduce_is_named(claimed: Claimed) -> None:
    """The chain set aside: a claim whose line its events do not bear out."""
    module, package = verifier(), package_of(claimed)
    events = module.check_chain(package, module.read_key(public_key(claimed.api)), [])
    for event in events:
        if event.raw is not None:
            event.state = module.decoded(event.raw)
    submitted = next(e for e in events if e.topic == "ledger:Claim.Submitted")
    rules, claim_id = module.load_rules(), submitted.stream

    def recomputed(change: Any) -> str:
        claim = copy.deepcopy(submitted.state)
        change(claim)
        try:
            module.recompute(rules, module.streams_whole(events, claim, claim_id), claim)
        except module.FailedError as failure:
            return str(failure)
        return "reproduced"

    assert recomputed(lambda claim: None) == "reproduced"
    number = next(
        n for n, line in enumerate(submitted.state["lines"], 1) if line["key"] == "no_return"
    )
    line = submitted.state["lines"][number - 1]
    person = line["participant_id"]

    def later(claim: dict[str, Any]) -> None:
        claim["lines"][number - 1]["on"] = "2021-04-02"

    assert recomputed(later) == (
        f"line {number} (no_return, participant {person}): cannot be reproduced; the claim says"
        f" achieved on 2021-04-02 by {line['evidence']}, its events make it achieved on"
        f" 2021-04-01 by {line['evidence']}"
    )

    def dearer(claim: dict[str, Any]) -> None:
        claim["lines"][number - 1]["amount"] += 1

    assert recomputed(dearer).startswith(f"line {number} (no_return): the claim says 150001,")

    def someone_else(claim: dict[str, Any]) -> None:
        claim["lines"][number - 1]["participant_id"] = claimed.other_program[0][0]

    assert recomputed(someone_else).endswith("its events make it not in the program's cohort")


def test_a_checkpoint_signed_by_another_key_fails(claimed: Claimed) -> None:
    other = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    verdict = check(package_of(claimed), base64.b64encode(other).decode())
    assert verdict.startswith("FAILED: position ")
    assert verdict.endswith("the checkpoint is not signed by the key given")


def test_a_checkpoint_the_assessor_kept_is_passed_through_once_the_package_reaches_it(
    claimed: Claimed,
) -> None:
    key, kept = public_key(claimed.api), claimed.kept
    package = package_of(claimed)
    assert package["start"] > kept["position"]
    assert check(package, key, [kept]).startswith("UNUSABLE: the package spans positions")
    assert f"from_position={kept['position']}" in check(package, key, [kept])
    reaching = package_of(claimed, from_position=kept["position"])
    assert reaching["start"] == kept["position"]
    assert check(reaching, key, [kept]).startswith("OK")
    forged = {**kept, "hash": "00" * 32}
    assert check(reaching, key, [forged]).startswith(f"FAILED: position {kept['position']}:")


def test_only_readers_of_the_claim_get_its_package(claimed: Claimed) -> None:
    api, path = claimed.api, f"/v1/claims/{claimed.id}/package"
    for role, programs in (("caseworker", claimed.codes), ("analyst", claimed.codes),
                           ("supervisor", ["OTHER-1"])):  # fmt: skip
        refused = api.http.get(path, headers=api.as_(role, programs))
        assert refused.status_code == 403, (role, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
    assert api.http.get(path).status_code == 401
    missing = api.http.get(
        "/v1/claims/00000000-0000-4000-8000-000000000000/package", headers=claimed.assessor
    )
    assert missing.status_code == 404
    for bad in ("0", "-1", "x", str(2**63), "1\x00"):
        answer = api.http.get(path, params={"from_position": bad}, headers=claimed.assessor)
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.json()["code"]


def ledger(*args: str, store_url: str, folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", "claims", *args],
        env=process_env(store_url, folder),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_command_line_lists_shows_restates_and_packages_a_claim(
    claimed: Claimed, store_url: str, tmp_path: Path
) -> None:
    claim, run = claimed.claim, {"store_url": store_url, "folder": tmp_path}
    sealed_up_to(claimed.api, claimed.api.log_head())
    written = tmp_path / "claim.json.gz"
    done = ledger("package", claimed.id, str(written), **run)  # type: ignore[arg-type]
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"wrote the package of claim {claimed.id} to {written}" in done.stdout
    assert written.read_bytes()[:2] == b"\x1f\x8b"
    code, output = run_alone(written, public_key(claimed.api), tmp_path)
    assert code == 0, output
    assert output.splitlines()[-2].startswith("events ")

    listed = ledger("list", "--program", "SIB-PKG", **run)  # type: ignore[arg-type]
    assert listed.returncode == 0, listed.stderr
    rows = [line.split("\t") for line in listed.stdout.splitlines()[1:-1]]
    assert [(r[0], r[3], r[5]) for r in rows] == [(claimed.id, "800000", "-")]
    assert listed.stdout.splitlines()[-1].startswith("1 claims")

    shown = ledger("show", claimed.id, "--csv", **run)  # type: ignore[arg-type]
    assert shown.returncode == 0, shown.stderr
    lines = list(csv.DictReader(io.StringIO(shown.stdout)))
    assert [(x["participant_id"], x["key"], x["evidence"]) for x in lines] == [
        (x["participant_id"], x["key"], " ".join(x["evidence"])) for x in claim["lines"]
    ]
    restated = ledger("restatement", claimed.id, **run)  # type: ignore[arg-type]
    assert restated.returncode == 0, restated.stderr
    assert json.loads(restated.stdout)["claimed_total"] == claim["total"] == 800_000

    unknown = ledger("show", "00000000-0000-4000-8000-000000000000", **run)  # type: ignore[arg-type]
    assert unknown.returncode == 2
    assert "no claim" in unknown.stderr


def test_an_admission_on_a_record_linked_later_restates_the_claim_and_the_package_holds_it(
    claimed: Claimed, tmp_path: Path
) -> None:
    """A duplicate record of a claimed person is found after the claim: its admission breaks
    the person's outcome in the restatement, and the package holds the record whole, while the
    claim, as known when frozen, still verifies."""
    api, codes = claimed.api, claimed.codes
    caseworker = api.as_("caseworker", codes)
    person = claimed.boarded[1][0]
    twin, twin_episode = a_boarder(api, caseworker, claimed.claim["program_id"])
    admitted = api.http.post(
        f"/v1/participants/{twin}/institutional-events",
        json={"event": "admission", "institution_kind": "psychoneurological_boarding_home",
              "occurred_on": "2020-10-01"},
        headers=caseworker,
    )  # fmt: skip
    assert admitted.status_code == 201, admitted.text
    linked = api.http.post(
        f"/v1/participants/{person}/links",
        json={"other_id": twin, "reason": "the same person, registered twice"},
        headers=api.as_("supervisor", codes),
    )
    assert linked.status_code == 201, linked.text
    restated = api.http.get(f"/v1/claims/{claimed.id}/restatement", headers=claimed.assessor)
    changed = [line for line in restated.json()["lines"] if line["changed"]]
    assert [(line["participant_id"], line["key"]) for line in changed] == [(person, "no_return")]
    assert changed[0]["now"]["state"] == "failed"
    assert changed[0]["now"]["broken_by"] == admitted.json()["event_id"]

    package = package_of(claimed)
    whole = {e["position"] for e in package["events"]}
    theirs = [e for e in package["entries"] if e[1] in (twin, twin_episode)]
    assert [e[3].rsplit(".")[-1] for e in theirs] == [
        "Registered", "ConsentRecorded", "Opened", "JoinedProgram", "InstitutionalAdmission",
        "Linked",
    ]  # fmt: skip
    assert all(e[0] in whole for e in theirs)
    code, output = run_alone(package, public_key(api), tmp_path)
    assert code == 0, output
    held_back = copy.deepcopy(package)
    held_back["events"] = [e for e in held_back["events"] if e["position"] != theirs[4][0]]
    assert check(held_back, public_key(api)).endswith(
        "held back (an event of a stream the claim rests on)"
    )


def test_a_claimed_person_erased_afterwards_leaves_the_package_proving_the_claim(
    claimed: Claimed, tmp_path: Path
) -> None:
    """Erasure destroys the person's key, not their stored events: the package still proves the
    claim, and their name is in it no more than before."""
    erased = claimed.api.post(
        f"/v1/participants/{claimed.boarded[0][0]}/erase",
        {"reason": "the person asked (art. 21)"},
        role="admin",
    )
    assert erased.status_code == 201, erased.text
    package = package_of(claimed)
    assert "ledger:Participant.Erased" in {
        e[3] for e in package["entries"] if e[1] == claimed.boarded[0][0]
    }
    assert "Packova" not in json.dumps(package)
    code, output = run_alone(package, public_key(claimed.api), tmp_path)
    assert code == 0, output
    assert "  no_return v1: 4 lines, 600,000" in output.splitlines()
