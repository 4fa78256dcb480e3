"""The bench's HTTP load (`http_load.py`) against several source trees, in alternating runs.

    python ops/bench/http_routing.py NAME=TREE [NAME=TREE ...] [--runs 3] [--seconds 6]

Each TREE is a checkout of the ledger (`git archive <commit> | tar -x -C TREE`), e.g. one as it
is and one with `command_routes.CommandRoutes` taken out of `api/app.py`'s front, so that
commands go through FastAPI's routing; its `ledger serve` and `ledger project` processes run from
it, against a database of their own. Runs alternate between the trees. Prints commands/s, p50 and
p99 per run, with the load average at its start.
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


def one_run(tree: Path, seconds: float) -> dict[str, float]:
    with fresh_database() as url, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ledger = ledger_for(settings_for(url, folder))
        program = bench_program(ledger)
        ledger.close()
        env = {**env_for(url, folder), "PYTHONPATH": str(tree)}
        load = os.getloadavg()[0]
        result = http_load(settings_for(url, folder), env, program, 16, seconds)
        rate = result["http"]
        return {"per_second": rate.per_second, "p50": rate.p50_ms, "p99": rate.p99_ms, "load": load}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("trees", nargs="+", help="NAME=TREE")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args()
    trees = [(name, Path(tree).resolve()) for name, tree in (t.split("=", 1) for t in args.trees)]
    # `python -m api.cli` puts the working directory first on sys.path: serve from none.
    os.chdir(tempfile.gettempdir())
    for n in range(args.runs):
        for name, tree in trees:
            r = one_run(tree, args.seconds)
            print(
                f"run {n + 1} {name}: {r['per_second']:,.0f} commands/s, p50 {r['p50']:.1f} ms,"
                f" p99 {r['p99']:.1f} ms, load average {r['load']:.2f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
