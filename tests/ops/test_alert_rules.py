"""The Prometheus alert rules are valid, and each fires when it should and not before
(`promtool test rules`), where promtool is installed (Debian: `apt-get install prometheus`)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

RULES = Path(__file__).parents[2] / "ops" / "prometheus"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool is not installed")


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run(
        [PROMTOOL, *args], cwd=RULES, capture_output=True, text=True, timeout=60, check=False
    )


@needs_promtool
def test_the_alert_rules_are_valid() -> None:
    done = promtool("check", "rules", "alerts.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 7 rules found" in done.stdout


@needs_promtool
def test_each_alert_fires_when_it_should_and_not_before() -> None:
    done = promtool("test", "rules", "alerts_test.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_every_alert_names_only_metrics_the_ledger_exports() -> None:
    """A renamed metric would leave its alert silent forever: each `ledger_` name an alert
    reads is one api/metrics.py defines."""
    text = (RULES / "alerts.yml").read_text()
    metrics = (Path(__file__).parents[2] / "api" / "metrics.py").read_text()
    named = {name.removesuffix("_bucket") for name in re.findall(r"\bledger_[a-z_]+", text)}
    assert named == {
        "ledger_read_model_lag_seconds",
        "ledger_read_model_heartbeat_age_seconds",
        "ledger_ready",
        "ledger_http_requests_total",
        "ledger_commit_seconds",
        "ledger_commit_queue_depth",
    }
    for name in named:
        assert f'"{name}"' in metrics, name
