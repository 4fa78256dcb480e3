"""Two checkouts of the ledger benched alternately in one sitting, and their ratios.

    python ops/bench/compare.py OLD_CHECKOUT NEW_CHECKOUT [--rounds 3] [--quick]

The machine's speed moves by a factor of two from hour to hour; runs of the old and the new code
taken in turns meet the same moments, so their ratio is what a change costs. Each round runs
`ops/bench/run.py --runs 1` of each checkout with that checkout's own code, then the medians of the
headline figures and new/old are printed.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

# The headline figures, as run.py prints them.
FIGURES = {
    "write path, 16 threads (commands/s)": r"write path 16 thread\(s\): group commit ([\d,]+)/s",
    "HTTP commands/s": r"http: ([\d,]+) commands/s",
    "import (events/s)": r"import: [\d,]+ events at ([\d,]+)/s",
    "rebuild (events/s)": r"rebuild of every read model: ([\d,]+) events/s",
}


def bench_once(checkout: Path, quick: bool) -> dict[str, float]:
    """One run of the checkout's own bench: its headline figures."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "ops/bench/run.py", "--runs", "1", "--out", f"{tmp}/r.md"]
        done = subprocess.run(
            [*command, *(["--quick"] if quick else [])],
            cwd=checkout,
            env={**os.environ, "PYTHONPATH": str(checkout)},
            capture_output=True,
            text=True,
            check=True,
        )
    figures = {}
    for name, pattern in FIGURES.items():
        found = re.search(pattern, done.stdout)
        if found:
            figures[name] = float(found.group(1).replace(",", ""))
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    runs: dict[str, dict[str, list[float]]] = {"old": {}, "new": {}}
    for n in range(args.rounds):
        # Each goes first every other round: neither always meets the machine warmer.
        order = [("old", args.old), ("new", args.new)]
        for label, checkout in order if n % 2 == 0 else order[::-1]:
            figures = bench_once(checkout.resolve(), args.quick)
            print(f"round {n + 1} {label}: {figures}", flush=True)
            for name, value in figures.items():
                runs[label].setdefault(name, []).append(value)
    print("\n| figure | old (median; runs) | new (median; runs) | new/old |\n|---|---|---|---|")
    for name in FIGURES:
        old, new = runs["old"].get(name, []), runs["new"].get(name, [])
        if old and new:
            ratio = statistics.median(new) / statistics.median(old)
            print(
                f"| {name} | {statistics.median(old):,.0f}; {', '.join(f'{v:,.0f}' for v in old)}"
                f" | {statistics.median(new):,.0f}; {', '.join(f'{v:,.0f}' for v in new)}"
                f" | {ratio:.2f} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
