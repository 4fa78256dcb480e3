"""`ledger serve` writes one JSON line per request to stderr (ids and route templates, no PII)
and counts each request in /metrics."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

from api.auth import mint
from tests.conftest_stores import ROOT, process_env, settings_for

PERSON = {"full_name": "Anna Petrova", "snils": "112-233-445 95", "phone": "+7 900 111"}


def a_free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def post(port: int, path: str, body: object, token: str, request_id: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(
        "POST",
        path,
        json.dumps(body),
        {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "X-Request-ID": request_id,
        },
    )
    response = conn.getresponse()
    response.read()
    assert response.getheader("X-Request-ID") == request_id
    return response.status


def test_each_request_is_one_json_line_without_personal_data_and_is_counted(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'ledger.db'}"
    port = a_free_port()
    env = {
        **process_env(store, tmp_path),
        "LEDGER_JWT_SECRET_FILE": str(tmp_path / "jwt"),
        "LEDGER_PORT": str(port),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        settings = settings_for(store, tmp_path).model_copy(
            update={"jwt_secret_file": tmp_path / "jwt"}
        )
        for _ in range(200):
            if (tmp_path / "jwt").exists():
                break
            time.sleep(0.05)
        token = mint(settings, "cw-1", ["caseworker"], ["*"])
        body = {
            "target_groups": ["orphan_care_leaver"],
            "settlement": "Bredy",
            "birth_year": 1970,
            "prior_residence": "orphan_care",
            "personal_data": PERSON,
        }
        for _ in range(200):
            try:
                status = post(port, "/v1/participants", body, token, "req-one")
                break
            except OSError:
                time.sleep(0.05)
        assert status == 201
        refused = {**body, "personal_data": {**PERSON, "snils": "not a snils"}}
        assert post(port, "/v1/participants", refused, token, "req-two") == 422
        assert post(port, "/v1/participants", refused, token, "req-three") == 422
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for path in ("/openapi.json", "/no/such/page"):
            conn.request("GET", path)
            conn.getresponse().read()
        conn.request("GET", "/metrics")
        metrics = conn.getresponse().read().decode()
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=20)

    lines = [json.loads(line) for line in stderr.decode().splitlines() if line.startswith("{")]
    requests = {line["request_id"]: line for line in lines if line.get("event") == "request"}
    assert requests["req-one"]["route"] == "/v1/participants"
    assert (requests["req-one"]["status"], requests["req-two"]["status"]) == (201, 422)
    assert requests["req-one"]["subject"] == "cw-1"
    series = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line and not line.startswith("#")
    }
    posts = 'method="POST",route="/v1/participants"'
    assert series[f'ledger_http_requests_total{{{posts},status="201"}}'] == 1
    assert series[f'ledger_http_requests_total{{{posts},status="422"}}'] == 2
    assert series[f"ledger_http_request_seconds_count{{{posts}}}"] == 3
    assert series['ledger_commands_total{command="/v1/participants",outcome="written"}'] == 1
    assert series['ledger_commands_total{command="/v1/participants",outcome="refused_422"}'] == 2
    # FastAPI's own pages are named; any other path is "unmatched" (paths may hold ids).
    gets = 'ledger_http_requests_total{method="GET",route='
    assert series[gets + '"/openapi.json",status="200"}'] == 1
    assert series[gets + '"unmatched",status="404"}'] == 1
    text = stderr.decode()
    for secret in (*PERSON.values(), "not a snils", "11223344595"):
        assert secret not in text
