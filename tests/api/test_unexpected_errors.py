"""An error nothing expected still answers a problem with its request id, leaves one JSON log
line naming the error's type and place (never its message, never personal data) and counts in
/metrics. Before, such a request left no request line and no series, and the client got a plain
"Internal Server Error" or a dropped connection.

The failure is a real one: a participant registered by a process holding another key-encryption
key (two hosts that generated their own), whose personal data this server cannot unwrap.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from api.auth import mint
from api.bootstrap import ledger_for
from tests.api.conftest import free_port
from tests.conftest_stores import ROOT, process_env, settings_for
from tests.integration.scenario import CASEWORKER

PERSON = {"full_name": "Anna Petrova", "snils": "112-233-445 95", "phone": "+7 900 111"}
CHANGES = {"changes": {"phone": "+7 900 222"}, "reason": "moved house", "occurred_on": ""}


def call(
    port: int, method: str, path: str, token: str, rid: str, body: Any = None
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Authorization": f"Bearer {token}", "X-Request-ID": rid}
    if body is not None:
        headers["Content-Type"] = "application/json"
    conn.request(method, path, None if body is None else json.dumps(body), headers)
    response = conn.getresponse()
    return response.status, dict(response.getheaders()), response.read()


def wait_until_up(port: int, server: subprocess.Popen[bytes]) -> None:
    for _ in range(400):
        assert server.poll() is None, "the server stopped"
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/health")
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("the server did not start")


def test_an_unexpected_error_is_answered_logged_with_its_request_id_and_counted(
    store_url: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **process_env(store_url, tmp_path),
        "LEDGER_JWT_SECRET_FILE": str(tmp_path / "jwt"),
        "LEDGER_PORT": str(port),
        "LEDGER_PROJECTIONS_IN_PROCESS": "true",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    elsewhere = tmp_path / "other-host"
    elsewhere.mkdir()
    try:
        wait_until_up(port, server)  # the server made the schema: the other host only uses it
        other_host = ledger_for(settings_for(store_url, elsewhere))
        person = other_host.register_participant(
            CASEWORKER,
            target_groups=["homeless"],
            settlement="Kunashak",
            birth_year=1968,
            prior_residence="own_home",
            personal_data=PERSON,
        ).id
        settings = settings_for(store_url, tmp_path).model_copy(
            update={"jwt_secret_file": tmp_path / "jwt"}
        )
        admin = mint(settings, "admin-1", ["admin"], ["*"])
        # The person is in no program yet: only the writer who registered them may correct them.
        caseworker = mint(settings, CASEWORKER.actor.subject, ["caseworker"], ["*"])
        read = call(port, "GET", f"/v1/participants/{person}?reason=audit", admin, "rid-read")
        correction = {**CHANGES, "occurred_on": date.today().isoformat()}
        path = f"/v1/participants/{person}/personal-data/corrections"
        write = call(port, "POST", path, caseworker, "rid-write", correction)
        metrics = call(port, "GET", "/metrics", admin, "rid-metrics")[2].decode()
        other_host.close()
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=20)

    # A route FastAPI serves (its outermost layer answers) and a command served ahead of it.
    for (status, headers, body), rid in ((read, "rid-read"), (write, "rid-write")):
        assert status == 500, body
        assert headers["content-type"] == "application/problem+json"
        assert headers["x-request-id"] == rid
        problem = json.loads(body)
        assert (problem["code"], problem["request_id"]) == ("internal_error", rid)

    text = stderr.decode()
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    failed = {line["request_id"]: line for line in lines if line.get("status") == 500}
    assert set(failed) == {"rid-read", "rid-write"}
    assert failed["rid-read"]["route"] == "/v1/participants/{participant_id}"
    assert (
        failed["rid-write"]["route"]
        == "/v1/participants/{participant_id}/personal-data/corrections"
    )
    for line in failed.values():
        assert line["level"] == "error"
        assert line["error"] == "cryptography.exceptions.InvalidTag"
        assert line["raised_at"]
    assert "Traceback" not in text
    for secret in (*PERSON.values(), "+7 900 222", "moved house"):
        assert secret not in text

    series = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line and not line.startswith("#")
    }
    read_series = 'method="GET",route="/v1/participants/{participant_id}",status="500"'
    write_series = (
        'method="POST",route="/v1/participants/{participant_id}/personal-data/corrections",'
        'status="500"'
    )
    assert series[f"ledger_http_requests_total{{{read_series}}}"] == 1
    assert series[f"ledger_http_requests_total{{{write_series}}}"] == 1
