"""/metrics tells an operator about the process too: its CPU, memory and open files, and the
Python running it with its garbage collection."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.api.conftest import Api


def test_metrics_hold_the_process_and_python_collectors(api: Api) -> None:
    answer = api.http.get("/metrics")
    assert answer.status_code == 200
    families = {f.name: f for f in text_string_to_metric_families(answer.text)}
    cpu = families["process_cpu_seconds"].samples[0].value
    memory = families["process_resident_memory_bytes"].samples[0].value
    assert cpu > 0
    assert memory > 10_000_000  # a Python process with FastAPI loaded
    assert families["process_open_fds"].samples[0].value > 0
    [info] = families["python_info"].samples
    assert info.labels["implementation"] == "CPython"
    assert {s.labels["generation"] for s in families["python_gc_collections"].samples} == {
        "0",
        "1",
        "2",
    }
    assert "ledger_http_requests" in families  # beside the ledger's own
