"""`make bench`: the ledger at the programs' real scale on PostgreSQL, beside raw PostgreSQL.

    python ops/bench/run.py [--quick] [--runs 3] [--out ops/bench/RESULTS.md]

Each run uses a database of its own, dropped afterwards. Prints as it goes and writes RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "ops" / "bench")]

import measure  # noqa: E402
import psycopg  # noqa: E402
import workloads  # noqa: E402
from http_load import http_load  # noqa: E402
from psycopg import sql  # noqa: E402
from report import report  # noqa: E402

from api.bootstrap import build, ledger_for  # noqa: E402
from api.bulk_import import import_file  # noqa: E402
from api.keys import fresh_key  # noqa: E402
from api.settings import Settings  # noqa: E402
from domain.base import Actor  # noqa: E402
from domain.commands import Context  # noqa: E402
from domain.ledger import Ledger  # noqa: E402
from domain.program import program_id_for  # noqa: E402

THREADS = (1, 8, 16, 32)
SERVER = os.environ.get("LEDGER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REBUILD = """
import json, sys, time
from api.settings import Settings
from api.bootstrap import build
from projections.rebuild import rebuild
from projections.registry import READ_MODELS
components = build(Settings(), follow_in_process=False)
head = components.ledger.recorder.max_notification_id()
started = time.perf_counter()
rebuild(components.ledger, components.store, *READ_MODELS.values())
seconds = time.perf_counter() - started
# The peak of this process's own memory: ru_maxrss would carry the bench's, across the exec.
with open("/proc/self/status") as status:
    peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(json.dumps({"seconds": seconds, "events": head, "peak_rss_mb": peak_kb / 1024}))
"""


@contextmanager
def fresh_database() -> Iterator[str]:
    name = f"ledger_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(SERVER, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = SERVER.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with psycopg.connect(SERVER, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def keys_in(folder: Path) -> None:
    """The bench's keys, made once: on PostgreSQL the ledger generates none."""
    for name in ("kek", "seal", "jwt"):
        if not (folder / name).exists():
            (folder / name).write_text(fresh_key())


def settings_for(url: str, folder: Path) -> Settings:
    keys_in(folder)
    return Settings(
        database_url=url,
        key_encryption_key_file=folder / "kek",
        seal_signing_key_file=folder / "seal",
        jwt_secret_file=folder / "jwt",
    )


def env_for(url: str, folder: Path) -> dict[str, str]:
    keys_in(folder)
    return {
        **os.environ,
        "LEDGER_DATABASE_URL": url,
        "LEDGER_KEY_ENCRYPTION_KEY_FILE": str(folder / "kek"),
        "LEDGER_SEAL_SIGNING_KEY_FILE": str(folder / "seal"),
        "LEDGER_JWT_SECRET_FILE": str(folder / "jwt"),
        "PYTHONPATH": str(ROOT),
    }


def bench_program(ledger: Ledger) -> uuid.UUID:
    """The program every write-path and HTTP measurement records services in."""
    return ledger.define_program(
        Context(Actor("bench", "admin")),
        code="BENCH",
        name="Bench",
        financing="grant",
        period_start=date(2024, 1, 1),
        period_end=date(2025, 12, 31),
        targets={},
    ).id


def rebuilt(url: str, folder: Path) -> dict[str, float]:
    """Rebuild every read model in a process of its own: seconds, events, peak RSS."""
    done = subprocess.run(
        [sys.executable, "-c", REBUILD],
        env=env_for(url, folder),
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def smaller_log_rss(rural: Path) -> float:
    """Peak RSS of the same rebuild over a log a tenth as long: does memory grow with the log?"""
    with fresh_database() as url, tempfile.TemporaryDirectory() as tmp:
        ledger = ledger_for(settings_for(url, Path(tmp)))
        import_file(ledger, rural)
        ledger.close()
        return rebuilt(url, Path(tmp))["peak_rss_mb"]


def counts(url: str, folder: Path, program: uuid.UUID) -> tuple[int, int]:
    """Services and served participants the read models show after the import (and rebuild)."""
    components = build(settings_for(url, folder), follow_in_process=False)
    try:
        services, outcomes = components.models["services"], components.models["outcomes"]
        with services.reading() as reading:
            total = sum(r.services for r in services.report(reading, program, by=()))  # type: ignore[attr-defined]
        with outcomes.reading() as reading:
            served = outcomes.report(reading, program, date(2025, 1, 1), date(2025, 12, 31)).count(
                "served"
            )  # type: ignore[attr-defined]
        return total, served
    finally:
        components.close()


def one_run(
    quick: bool, rural: Path, tenth: Path, expected: tuple[int, int], first: bool
) -> dict[str, Any]:
    seconds = 1.0 if quick else 2.0
    results: dict[str, Any] = {"python": measure.python_reference()}
    with fresh_database() as url, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ledger = ledger_for(settings_for(url, folder))
        program = bench_program(ledger)
        for threads in THREADS:  # interleaved, so each ratio compares the same moment
            results[f"raw_{threads}"] = measure.raw_single_row(url, threads, seconds)
            ledger.writes.saving.group_commit = False  # type: ignore[attr-defined]
            results[f"plain_{threads}"] = measure.ledger_single_command(
                ledger, program, threads, seconds
            )
            ledger.writes.saving.group_commit = True  # type: ignore[attr-defined]
            results[f"group_{threads}"] = measure.ledger_single_command(
                ledger, program, threads, seconds
            )
            print(
                f"  write path {threads} thread(s): group commit"
                f" {results[f'group_{threads}'].per_second:,.0f}/s"
                f" (p99 {results[f'group_{threads}'].p99_ms:.1f} ms),"
                f" plain {results[f'plain_{threads}'].per_second:,.0f}/s,"
                f" raw {results[f'raw_{threads}'].per_second:,.0f}/s",
                flush=True,
            )
        episode = measure.long_episode(ledger, program, 1000)
        results["replay_snapshots"], results["replay_events"] = measure.history_replay(
            ledger, episode, 50 if quick else 200
        )
        ledger.close()
        results.update(
            http_load(settings_for(url, folder), env_for(url, folder), program, 16, seconds * 3)
        )
        print(
            f"  http: {results['http'].per_second:,.0f} commands/s,"
            f" p99 {results['http'].p99_ms:.1f} ms;"
            f" read-your-writes p99 {results['ryw_p99_ms']:.1f} ms",
            flush=True,
        )
    with fresh_database() as url, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ledger = ledger_for(settings_for(url, folder))
        report = import_file(ledger, rural)
        ledger.close()
        results["import"] = report.events_per_second
        results["copy"] = measure.raw_copy(url, report.events)
        print(
            f"  import: {report.events:,} events at {report.events_per_second:,.0f}/s;"
            f" COPY {results['copy']:,.0f} rows/s",
            flush=True,
        )
        whole = rebuilt(url, folder)
        results["rebuild"] = whole["events"] / whole["seconds"]
        results["rebuild_seconds"] = whole["seconds"]
        results["peak_rss_mb"] = whole["peak_rss_mb"]
        results["scan"] = measure.sequential_read(url, "public")
        print(
            f"  rebuild of every read model: {results['rebuild']:,.0f} events/s"
            f" ({whole['seconds']:.1f} s,"
            f" peak RSS {whole['peak_rss_mb']:.0f} MB); table scan {results['scan']:,.0f} rows/s",
            flush=True,
        )
        program = program_id_for("RURAL")
        results["counts"] = counts(url, folder, program)
        assert results["counts"] == expected, (results["counts"], expected)
    if first:  # once is enough to see whether memory grows with the log
        results["peak_rss_tenth_mb"] = smaller_log_rss(tenth)
        print(f"  rebuild over a tenth of the log: peak RSS {results['peak_rss_tenth_mb']:.0f} MB")
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="small scale, one run (under 2 minutes)"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "ops" / "bench" / "RESULTS.md"))
    args = parser.parse_args()
    runs = 1 if args.quick else args.runs
    scale = 0.005 if args.quick else 1.0
    rural, tenth = (ROOT / "var" / "bench" / f"rural-{s}.ndjson" for s in (scale, scale / 10))
    for path, size in ((rural, scale), (tenth, scale / 10)):
        if not path.exists():
            workloads.write(path, workloads.rural_year(size))
    people = max(workloads.SETTLEMENTS, round(workloads.RURAL_PEOPLE * scale))
    expected = (round(workloads.RURAL_SERVICES * scale), people)
    started = time.perf_counter()
    collected: dict[str, list[Any]] = defaultdict(list)
    for n in range(runs):
        print(f"run {n + 1} of {runs}", flush=True)
        for key, value in one_run(args.quick, rural, tenth, expected, n == 0).items():
            collected[key].append(value)
    import outcomes  # noqa: PLC0415 - here: these import this module's helpers
    import search  # noqa: PLC0415

    print("person search", flush=True)
    found = search.search_bench(5000 if args.quick else 100_000, 300 if args.quick else 2000)
    print(search.printed(found), flush=True)
    collected["search"].append(found)
    print("outcome status", flush=True)
    statuses = outcomes.outcomes_bench(1000 if args.quick else 10_000)
    print(outcomes.printed(statuses), flush=True)
    collected["outcomes"].append(statuses)
    Path(args.out).write_text(
        report(collected, runs, scale, expected, time.perf_counter() - started, SERVER, THREADS)
    )
    print(f"counts: {expected[0]:,} services, {expected[1]:,} participants in the read models")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
