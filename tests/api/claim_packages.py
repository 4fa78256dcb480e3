"""A claim's package fetched as its assessor would, checked with ops/audit/verify_claim.py (in
this process, or alone with nothing of the ledger importable), and edited as a forger would."""

from __future__ import annotations

import base64
import copy
import hashlib
import importlib.util
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import UUID, uuid5

from tests.api.conftest import Api

AUDIT = Path(__file__).parents[2] / "ops" / "audit"
VERIFIER = AUDIT / "verify_claim.py"
# What the verifier must run without: the ledger's own dependencies.
LEDGER_ONLY = ("eventsourcing", "fastapi", "pydantic", "psycopg", "structlog", "orjson", "api")


def verifier() -> ModuleType:
    """ops/audit/verify_claim.py as a module, to call its functions."""
    sys.path.insert(0, str(AUDIT))
    try:
        spec = importlib.util.spec_from_file_location("verify_claim", VERIFIER)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["verify_claim"] = module  # its dataclasses look their module up
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(AUDIT))
    return module


def sealed_up_to(api: Api, position: int) -> None:
    """Wait until a signed checkpoint covers `position`."""
    deadline = time.monotonic() + 10
    while api.get("/v1/audit/checkpoints/latest", role="auditor").json()["position"] < position:
        assert time.monotonic() < deadline, "the seal did not catch up"
        time.sleep(0.05)


def fetched(api: Api, claim: str, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    """The claim's package, once the seal has signed everything recorded so far."""
    sealed_up_to(api, api.log_head())
    answer = api.http.get(f"/v1/claims/{claim}/package", headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-disposition"] == f'attachment; filename="claim-{claim}.json"'
    found: dict[str, Any] = answer.json()
    return found


def public_key(api: Api) -> str:
    return str(api.http.get("/v1/audit/public-key").json()["public_key"])


def run_alone(
    package: dict[str, Any] | Path, key: str, folder: Path, *trusted: Path
) -> tuple[int, str]:
    """The verifier as an assessor runs it (on a package, or a file holding one): its own
    process, where the ledger's packages cannot be imported."""
    path = package if isinstance(package, Path) else folder / "package.json"
    if not isinstance(package, Path):
        path.write_text(json.dumps(package))
    blocked = "; ".join(f"sys.modules[{name!r}] = None" for name in LEDGER_ONLY)
    script = f"import runpy, sys; {blocked}; runpy.run_path({str(VERIFIER)!r}, run_name='__main__')"
    arguments = [
        str(path),
        "--public-key",
        key,
        *(a for t in trusted for a in ("--trusted", str(t))),
    ]
    done = subprocess.run(
        [sys.executable, "-c", script, *arguments],
        capture_output=True,
        text=True,
        check=False,
        cwd=folder,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(AUDIT)},
    )
    assert not done.stderr, done.stderr
    return done.returncode, done.stdout


def check(package: dict[str, Any], key: str, trusted: list[dict[str, Any]] | None = None) -> str:
    """The verifier's verdict in this process: "OK" and the figures, or its failure."""
    module = verifier()
    try:
        printed = module.check(package, module.read_key(key), trusted or [])
    except module.FailedError as failure:
        return f"FAILED: {failure}"
    except module.UnusableError as error:
        return f"UNUSABLE: {error}"
    return "OK\n" + "\n".join(printed)


def entry_position(package: dict[str, Any], entry_id: str) -> int:
    """The position of the event an entry id (a claim's evidence) names."""
    for position, originator, version, _, _ in package["entries"]:
        if str(uuid5(UUID(originator), str(version))) == entry_id:
            return int(position)
    raise LookupError(entry_id)


def edited(
    package: dict[str, Any],
    position: int,
    change: Callable[[dict[str, Any]], None],
    *,
    digest: bool = True,
    chain: bool = True,
) -> dict[str, Any]:
    """The package with the event at `position` changed as a forger would: its state, and
    with `digest` its digest made to match; without `chain`, the seal's hash beside it dropped."""
    forged = copy.deepcopy(package)
    event = next(e for e in forged["events"] if e["position"] == position)
    state = json.loads(base64.b64decode(event["state"]))
    change(state)
    raw = json.dumps(state, separators=(",", ":")).encode()
    event["state"] = base64.b64encode(raw).decode()
    if digest:
        entry = next(e for e in forged["entries"] if e[0] == position)
        entry[4] = hashlib.sha256(raw).hexdigest()
    if not chain:
        del event["chain"]
    return forged


def a_day_later(state: dict[str, Any]) -> None:
    """Move the event's effective date one day on: what a forger would do to a date."""
    day = state["occurred_on"]["_data_"]
    state["occurred_on"]["_data_"] = day[:-1] + ("1" if day[-1] != "1" else "2")
