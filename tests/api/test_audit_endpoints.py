"""The audit endpoints: verify, latest signed checkpoint, public key."""

from __future__ import annotations

import base64
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from projections.seal import checkpoint_message
from tests.api.conftest import serve
from tests.api.world import a_world, day


def test_an_auditor_verifies_the_chain_and_checks_a_checkpoint_with_the_public_key(
    store_url: str, tmp_path: Path
) -> None:
    with serve(store_url, tmp_path, checkpoint_every_events=5) as api:
        world = a_world(api)
        last = api.post(
            f"/v1/episodes/{world.episode}/mentors",
            {"mentor_ref": "v-1", "occurred_on": day(1)},
        ).json()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # the seal follows the log in a thread of the API
            latest = api.get("/v1/audit/checkpoints/latest", role="auditor").json()
            if latest.get("position", 0) >= last["position"] - 5:
                break
            time.sleep(0.05)
        verified = api.get("/v1/audit/verify", role="auditor")
        key = api.get("/v1/audit/public-key", role=None).json()

        assert verified.status_code == 200, verified.text
        assert verified.json()["ok"] is True
        assert verified.json()["checked"] == verified.json()["sealed_head"] > 0
        assert key == {"algorithm": "Ed25519", "public_key": latest["public_key"]}
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"]))
        message = checkpoint_message(latest["position"], latest["hash"], latest["signed_at"])
        public.verify(base64.b64decode(latest["signature"]), message)  # raises if forged
        assert api.get("/v1/audit/verify", role="caseworker").status_code == 403
        assert api.get("/v1/audit/verify", role="analyst").status_code == 403
