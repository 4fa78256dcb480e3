"""`ledger serve --workers 2` of two checkouts side by side, with clients that come and go.

    python ops/bench/supervisors.py OTHER_TREE [--runs 3] [--seconds 20] [--closed-too]

OTHER_TREE is a checkout to compare with this one (e.g. `git archive REV | tar -x -C DIR`).
Each run takes a fresh database (dropped after) and serves, as `make bench`'s HTTP measurement
does, 16 clients posting services and the read-your-writes probe; the clients start over 2 s
and each reconnects about every second. The two trees alternate, each first in every other run.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "ops" / "bench")]

from http_load import http_load  # noqa: E402
from run import bench_program, env_for, fresh_database, settings_for  # noqa: E402

from api.bootstrap import ledger_for  # noqa: E402


def one_run(tree: Path, seconds: float, staggered: bool) -> dict[str, float]:
    with fresh_database() as url, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ledger = ledger_for(settings_for(url, folder))
        program = bench_program(ledger)
        ledger.close()
        load_before = os.getloadavg()[0]
        results = http_load(
            settings_for(url, folder),
            env_for(url, folder),
            program,
            16,
            seconds,
            staggered=staggered,
            tree=tree,
        )
    rate = results["http"]
    return {
        "commands_per_s": rate.per_second,
        "p50_ms": rate.p50_ms,
        "p99_ms": rate.p99_ms,
        "ryw_p99_ms": results["ryw_p99_ms"],
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("other", type=Path, help="the checkout to compare with this one")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--closed-too", action="store_true", help="also with 16 connections opened at once"
    )
    args = parser.parse_args()
    trees = {"other": args.other.resolve(), "this": ROOT}
    modes = [True, False] if args.closed_too else [True]
    for run in range(1, args.runs + 1):
        for staggered in modes:
            order = list(trees.items())
            for name, tree in order if run % 2 else reversed(order):
                figures = one_run(tree, args.seconds, staggered)
                print(
                    f"run {run} {'staggered' if staggered else 'at once  '} {name}:"
                    f" {figures['commands_per_s']:,.0f} commands/s,"
                    f" p50 {figures['p50_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms,"
                    f" read-your-writes p99 {figures['ryw_p99_ms']:.1f} ms;"
                    f" load {figures['load_before']:.2f} -> {figures['load_after']:.2f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
