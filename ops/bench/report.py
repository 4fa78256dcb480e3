"""RESULTS.md, from the measurements of every run of `make bench`."""

from __future__ import annotations

import os
import platform
from typing import Any

import measure
import psycopg
from http_load import HTTP_WORKERS


def report(
    c: dict[str, list[Any]],
    runs: int,
    scale: float,
    expected: tuple[int, int],
    seconds: float,
    server: str,
    threads: tuple[int, ...],
) -> str:
    """RESULTS.md: each measurement beside its raw PostgreSQL reference, medians and spread."""

    def med(values: list[float]) -> float:
        return measure.summary(values)[0]

    def per_second(key: str) -> list[float]:
        return [x.per_second if isinstance(x, measure.Rate) else x for x in c[key]]

    def rate(key: str, unit: str = "/s") -> str:
        middle, low, high = measure.summary(per_second(key))
        return f"{middle:,.0f}{unit} ({low:,.0f} to {high:,.0f})"

    def lat(key: str) -> str:
        return f"{med([r.p50_ms for r in c[key]]):.2f} / {med([r.p99_ms for r in c[key]]):.2f}"

    def ratio(a: str, b: str) -> str:
        return f"{med(per_second(a)) / med(per_second(b)):.2f}"

    write_targets = {1: "no slower than plain", 16: ">= 5,000/s, p99 < 10 ms, ratio >= 0.5"}
    rows = [
        row
        for n in threads
        for row in (
            (
                f"1. write path, group commit, {n} thread(s) (p50/p99 ms {lat(f'group_{n}')})",
                rate(f"group_{n}"),
                f"single-row INSERT, {n} client(s): {rate(f'raw_{n}')}"
                f" (p50/p99 ms {lat(f'raw_{n}')})",
                ratio(f"group_{n}", f"raw_{n}"),
                write_targets.get(n, ""),
            ),
            (
                f"1. write path, plain library save, {n} thread(s)"
                f" (p50/p99 ms {lat(f'plain_{n}')})",
                rate(f"plain_{n}"),
                "",
                ratio(f"plain_{n}", f"raw_{n}"),
                "",
            ),
        )
    ] + [
        (
            f"2. HTTP, 16 clients, commands (p50/p99 ms {lat('http')})",
            rate("http"),
            "",
            "",
            ">= 2,000/s, p99 < 50 ms",
        ),
        (
            "2. read-your-writes delay under that load (p50 / p99 ms)",
            f"{med(c['ryw_p50_ms']):.1f} / {med(c['ryw_p99_ms']):.1f}",
            "",
            "",
            "p99 < 100 ms",
        ),
        (
            "3. bulk import, `ledger import` (events/s)",
            rate("import"),
            f"COPY of as many event-shaped rows: {rate('copy')}",
            ratio("import", "copy"),
            ">= 100,000/s",
        ),
        (
            "4. rebuild of every read model (events/s)",
            rate("rebuild"),
            f"sequential read of the events table: {rate('scan')}",
            ratio("rebuild", "scan"),
            ">= 50,000/s, < 30 s",
        ),
        (
            "4. rebuild wall time / peak RSS",
            f"{rate('rebuild_seconds', ' s')} / {rate('peak_rss_mb', ' MB')}",
            f"peak RSS over a log a tenth as long (first run): {rate('peak_rss_tenth_mb', ' MB')}",
            "",
            "< 300 MB, not growing with the log",
        ),
        (
            "5. replay of a 1,000-event episode from its snapshot"
            f" (p50/p99 ms {lat('replay_snapshots')})",
            "",
            f"from its events alone: p50/p99 ms {lat('replay_events')}",
            "",
            "p99 < 20 ms",
        ),
    ]
    for found in c.get("search", []):  # once, after the runs
        rows.append(
            (
                f"6. person search over {found['people']:,.0f} people,"
                " `POST /v1/participants/search`, 20 hits with their personal data"
                f" (p50/p99 ms {found['http_p50']:.2f} / {found['http_p99']:.2f});"
                f" the index alone {found['search_p50']:.2f} / {found['search_p99']:.2f}",
                "",
                "B-tree lookup of a plaintext surname:"
                f" p50/p99 ms {found['raw_p50']:.2f} / {found['raw_p99']:.2f}",
                f"{found['http_p99'] / found['raw_p99']:.1f}x (p99)",
                "p99 < 50 ms",
            )
        )
    for found in c.get("outcomes", []):  # once, after the runs
        rows.append(
            (
                f"7. outcome status of {found['people']:,.0f} people under 5 definitions"
                f" (s, median of 3): {found['status_s']:.2f}",
                "",
                f"rebuild of the outcome facts over the same {found['events']:,.0f} events:"
                f" {found['rebuild_s']:.2f} s",
                f"{found['status_s'] / found['rebuild_s']:.2f}x",
                "",
            )
        )
    with psycopg.connect(server) as conn:
        pg = {
            name: conn.execute(f"SHOW {name}").fetchone()[0]  # type: ignore[index]
            for name in ("server_version", "fsync", "synchronous_commit", "shared_buffers")
        }
    table = "\n".join("| " + " | ".join(row) + " |" for row in rows)
    return f"""# Benchmark results

Written by `make bench` (`python ops/bench/run.py`): {runs} run(s), scale {scale} of the rural
year, {seconds / 60:.1f} minutes in all. Medians, with the spread (min to max) over the runs.

- Machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()};
  a fixed pure-Python loop (5 million additions) took {med(c["python"]):.2f} s of CPU: the
  CPU-bound figures below move with it from one day to the next
- PostgreSQL {pg["server_version"]} on the same machine: fsync={pg["fsync"]},
  synchronous_commit={pg["synchronous_commit"]}, shared_buffers={pg["shared_buffers"]}
- Rural year imported: {expected[0]:,} services, {expected[1]:,} participants; the services and
  outcomes read models show exactly these after the import and the rebuild.
- HTTP: `ledger serve --workers {HTTP_WORKERS}` and one `ledger project` process for the four
  read models; the load from 16 keep-alive connections on the same machine, one request in
  flight on each, driven by one thread over non-blocking sockets
  (`ops/bench/load_generator.py`), which took {med(c["http_client_cpu_ms"]) * 1000:.0f} us of
  CPU a request.

| measurement | ledger | raw PostgreSQL reference | ratio | target |
|---|---|---|---|---|
{table}

Commands: `make bench` (full), `make bench-quick` (under 2 minutes; the test suite runs it too).
"""
