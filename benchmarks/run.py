"""Run every benchmark: prints figures and ratios against baselines measured in the same run.

    make bench            # or: python benchmarks/run.py [--kontor N] [name ...]

Machines here are shared and noisy, so each figure is reported as a ratio to a baseline
timed in the same run (best of a few repeats).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import bench_consolidate  # noqa: E402
import bench_cycle  # noqa: E402
import bench_engine  # noqa: E402
import bench_extract  # noqa: E402
import bench_fill  # noqa: E402
import bench_report  # noqa: E402
import bench_workbook  # noqa: E402

BENCHMARKS = {
    "motor": bench_engine.run,
    "målekort": bench_workbook.run,
    "fyll": bench_fill.run,
    "konsolider": bench_consolidate.run,
    "rapport": bench_report.run,
    "syklus": bench_cycle.run,
    "uttrekk": bench_extract.run,
}


def best_of(func, repeats: int = 3) -> float:
    """Best wall time of ``repeats`` runs, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help=f"which ({', '.join(BENCHMARKS)}); default all")
    parser.add_argument("--kontor", type=int, default=500, help="number of synthetic offices")
    args = parser.parse_args(argv)
    names = args.names or list(BENCHMARKS)
    with tempfile.TemporaryDirectory(prefix="excelkort-bench-") as tmp:
        for name in names:
            print(f"== {name}")
            for line in BENCHMARKS[name](Path(tmp) / name, args.kontor, best_of):
                print("  " + line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
