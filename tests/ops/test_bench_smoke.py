"""`make bench-quick` runs end to end (its counts are checked; its speed is not a test)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_the_quick_benchmark_completes_with_exact_counts(postgres_url: str, tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    server = postgres_url.rsplit("/", 1)[0] + "/postgres"
    done = subprocess.run(
        [sys.executable, str(ROOT / "ops" / "bench" / "run.py"), "--quick", "--out", str(out)],
        env={**os.environ, "LEDGER_TEST_POSTGRES_URL": server},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "counts: 4,245 services, 28 participants in the read models" in done.stdout
    report = out.read_text()
    assert "| 3. bulk import" in report
    assert "Rural year imported: 4,245 services, 28 participants" in report
    http = next(line for line in report.splitlines() if line.startswith("| 2. HTTP"))
    assert float(http.split(" | ")[1].split("/s")[0].replace(",", "")) > 0, http
    statuses = next(line for line in report.splitlines() if line.startswith("| 7. outcome"))
    assert "of 1,000 people under 5 definitions" in statuses, statuses
    assert "outcome status of 1,000 people under 5 definitions (4,0" in done.stdout
