"""The audit endpoints (verify, latest signed checkpoint, public key) and the checkpoint that
covers each outcomes report."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from projections.checkpoints import Checkpoint, checkpoint_message
from tests.api.conftest import Api, serve
from tests.api.world import a_world, day


def wait_for_checkpoint(api: Api, position: int) -> dict[str, Any]:
    """The seal follows the log in a thread of the API: wait for a checkpoint at `position`."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        latest = api.get("/v1/audit/checkpoints/latest", role="auditor").json()
        if latest.get("position", 0) >= position:
            return dict(latest)
        time.sleep(0.05)
    raise AssertionError(f"no checkpoint at {position} within 10 s")


def test_an_auditor_verifies_the_chain_and_checks_a_checkpoint_with_the_public_key(
    store_url: str, tmp_path: Path
) -> None:
    with serve(store_url, tmp_path, checkpoint_every_events=5, checkpoint_every_seconds=0) as api:
        world = a_world(api)
        last = api.post(
            f"/v1/episodes/{world.episode}/mentors",
            {"mentor_staff": "v-1", "occurred_on": day(1)},
        ).json()
        latest = wait_for_checkpoint(api, last["position"])
        verified = api.get("/v1/audit/verify", role="auditor")
        key = api.get("/v1/audit/public-key", role=None).json()

        assert verified.status_code == 200, verified.text
        body = verified.json()
        assert (body["status"], body["ok"], body["finding"]) == ("ok", True, None)
        assert body["checked"] == body["sealed_head"] == body["log_head"] == last["position"]
        assert key == {"algorithm": "Ed25519", "public_key": latest["public_key"]}
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"]))
        message = checkpoint_message(latest["position"], latest["hash"], latest["signed_at"])
        public.verify(base64.b64decode(latest["signature"]), message)  # raises if forged
        assert api.get("/v1/audit/verify", role="caseworker").status_code == 403
        assert api.get("/v1/audit/verify", role="analyst").status_code == 403


def test_verify_says_events_are_not_yet_sealed_instead_of_ok(
    store_url: str, tmp_path: Path
) -> None:
    """Nothing signed yet (the first checkpoint is far off): the body says so, never "ok"."""
    with serve(
        store_url, tmp_path, checkpoint_every_events=1_000_000, checkpoint_every_seconds=3600
    ) as api:
        a_world(api)
        head = api.log_head()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # until the seal hashed everything (unsigned)
            body = api.get("/v1/audit/verify", role="auditor").json()
            if body["chained_head"] == head:
                break
            time.sleep(0.05)

    assert body["status"] == "unsealed", body
    assert (body["ok"], body["finding"]) == (False, None)
    assert (body["sealed_head"], body["unsealed_from"], body["unsealed"]) == (0, 1, head)


def outcomes(api: Api, world: Any, position: int, csv: bool = False) -> Any:
    headers = {**api.as_("auditor"), **({"Accept": "text/csv"} if csv else {})}
    query = {"program": world.own, "from": day(60), "to": day(0), "min_position": position}
    return api.http.get("/v1/reports/outcomes", params=query, headers=headers)


def test_the_outcomes_report_footer_names_the_checkpoint_that_covers_it(
    store_url: str, tmp_path: Path
) -> None:
    published = tmp_path / "published-checkpoints.ndjson"
    with serve(store_url, tmp_path, checkpoint_every_seconds=0, checkpoint_log=published) as api:
        world = a_world(api)
        head = api.log_head()
        wait_for_checkpoint(api, head)
        report = outcomes(api, world, head)
        as_csv = outcomes(api, world, head, csv=True)
        key = api.get("/v1/audit/public-key", role=None).json()["public_key"]

    assert report.status_code == 200, report.text
    seal = report.json()["seal"]
    assert seal["covered"] is True, seal
    checkpoint = Checkpoint(**seal["checkpoint"])
    assert checkpoint.position >= report.json()["position"] == head
    assert checkpoint.signed_by(Ed25519PublicKey.from_public_bytes(base64.b64decode(key)))
    # The same checkpoint, published outside the database.
    assert seal["checkpoint"] in [json.loads(line) for line in published.read_text().splitlines()]
    footer = as_csv.text.rstrip("\n").splitlines()[-1]
    assert footer == (
        f"# seal: covered by the signed checkpoint at position {checkpoint.position}"
        f" (hash {checkpoint.hash}, signed at {checkpoint.signed_at},"
        f" signature {checkpoint.signature})"
    )


def test_a_report_not_yet_covered_says_so_plainly(store_url: str, tmp_path: Path) -> None:
    with serve(
        store_url, tmp_path, checkpoint_every_events=1_000_000, checkpoint_every_seconds=3600
    ) as api:
        world = a_world(api)
        head = api.log_head()
        report = outcomes(api, world, head)
        as_csv = outcomes(api, world, head, csv=True)

    assert report.json()["seal"] == {
        "covered": False,
        "checkpoint": None,
        "note": f"not yet covered by a signed checkpoint: none at or after position {head} yet",
    }
    assert as_csv.text.rstrip("\n").splitlines()[-1] == (
        f"# seal: not yet covered by a signed checkpoint: none at or after position {head} yet"
    )
