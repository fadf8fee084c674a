"""Benchmark: cold start of the command line, and where the compiled shortest-path kernels pay off.

    python benchmarks/bench_coldstart.py [--repeat 7] [--no-crossover]

Cold start (issue 11's aims, measured in one run as ratios so that the machine's speed cancels):
each command runs ``--repeat`` times in a fresh interpreter, round-robin, after one warm-up run
each (so .pyc files and numba's cache exist); the median wall time is reported.

- ``corridor --help`` ≤ 0.4 × ``python -c "import geopandas"``
- ``corridor analyze`` (bundled data, baseline-2024) ≤ 1.3 × a bare import of geopandas, folium,
  networkx, scipy.optimize and pyproj

Crossover (:data:`corridor.solve.kernels.INTERPRETED_WORK`): the interpreted kernels cost about
``work × c`` (work = origins × arcs; ``c`` measured on grid graphs); the compiled ones a one-off
load (importing numba and loading the cached kernels, measured in fresh interpreters) plus a
small cost per call. A process runs interpreted until its total work reaches the one-off load,
then switches (at most twice the better of the two choices made in hindsight).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

CORRIDOR = "import sys; from corridor.cli import main; sys.exit(main())"  # what the console script runs
COMMANDS = {
    "python (empty)": ["-c", "pass"],
    "corridor --help": ["-c", CORRIDOR, "--help"],
    "corridor analyze": ["-c", CORRIDOR, "analyze"],
    "import geopandas": ["-c", "import geopandas"],
    "import 5 libraries": ["-c", "import geopandas, folium, networkx, scipy.optimize, pyproj"],
}
LOAD = {
    "numba kernels": ["-c", "import numpy, corridor.solve.kernels as s; s._compiled()"],
    "no kernels": ["-c", "import numpy, corridor.solve.kernels"],
}


def _run(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def medians(commands: dict[str, list[str]], repeat: int, cwd: Path) -> dict[str, float]:
    """Median wall time of each command over ``repeat`` fresh interpreters (round-robin, after a warm-up)."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for args in commands.values():
        _run(args, cwd)
    for _ in range(repeat):
        for name, args in commands.items():
            times[name].append(_run(args, cwd))
    return {name: statistics.median(t) for name, t in times.items()}


def grid(side: int, seed: int = 1) -> list[np.ndarray]:
    """A ``side`` × ``side`` grid, arcs both ways with random weights, 6 origins with 10 targets each."""
    rng = np.random.default_rng(seed)
    idx = np.arange(side * side).reshape(side, side)
    pairs = np.concatenate(
        [np.c_[idx[:, :-1].ravel(), idx[:, 1:].ravel()], np.c_[idx[:-1, :].ravel(), idx[1:, :].ravel()]]
    )
    tail = np.concatenate([pairs[:, 0], pairs[:, 1]])
    head = np.concatenate([pairs[:, 1], pairs[:, 0]])
    order = np.lexsort((head, tail))
    tail, head = tail[order], head[order]
    n = side * side
    indptr = np.concatenate([[0], np.cumsum(np.bincount(tail, minlength=n))])
    sources = rng.choice(n, 6, replace=False)
    tptr = np.arange(0, 61, 10)
    targets = rng.integers(0, n, 60)
    weight = rng.random(len(tail)) + 0.1
    ints = [a.astype(np.int64) for a in (indptr, head)]
    no_bounds = [np.zeros((1, n)), np.zeros(len(sources), dtype=np.int64)]  # the kernels' A* bounds: none
    return [*ints, weight, *(a.astype(np.int64) for a in (tail, sources, tptr, targets)), *no_bounds]


def _best(fn, args: list[np.ndarray], repeat: int) -> float:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(*args)
        out.append(time.perf_counter() - start)
    return min(out)


def crossover(repeat: int, cwd: Path) -> None:
    from corridor.solve import kernels as _sssp

    load = medians(LOAD, repeat, cwd)
    one_off = load["numba kernels"] - load["no kernels"]
    compiled = _sssp._compiled().paths
    print(f"\nCompiled kernels, one-off load per process (import numba + cached kernels): {one_off * 1e3:.0f} ms")
    print(f"{'grid':>8} {'nodes':>7} {'arcs':>7} {'work':>9} {'interpreted':>12} {'compiled':>10} {'µs/work':>8}")
    per_work = []
    warm_crossover = None
    for side in (4, 8, 12, 20, 32, 48, 64):
        args = grid(side)
        work = 6 * len(args[1])
        compiled(*args)
        ti = _best(_sssp._paths, args, 3)
        tc = _best(compiled, args, 5)
        per_work.append(ti / work)
        if ti <= tc:  # the compiled kernels win from the size after the last one they lose
            warm_crossover = None
        elif warm_crossover is None:
            warm_crossover = work
        print(
            f"{side:>5}²   {side * side:>7} {len(args[1]):>7} {work:>9} {ti * 1e3:>9.2f} ms {tc * 1e3:>7.2f} ms"
            f" {ti / work * 1e6:>8.2f}"
        )
    c = statistics.median(per_work)
    since = f"a work of about {warm_crossover:,}" if warm_crossover else "none of these sizes"
    print(f"Warm, per call (numba already loaded): the compiled kernels win from {since}")
    print(
        f"Cold, per process: interpreted work costs {c * 1e6:.2f} µs per unit, so the one-off load equals "
        f"{one_off / c:,.0f} units of work; INTERPRETED_WORK = {_sssp.INTERPRETED_WORK:,}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs per command (default: 7)")
    parser.add_argument("--no-crossover", action="store_true", help="skip the kernel crossover measurement")
    args = parser.parse_args()
    cwd = Path(__file__).resolve().parent  # any folder: nothing is written
    t = medians(COMMANDS, args.repeat, cwd)
    print(f"Cold start, median of {args.repeat} fresh interpreters ({sys.executable}):")
    for name, seconds in t.items():
        print(f"  {name:<20} {seconds * 1e3:8.0f} ms")
    help_ratio = t["corridor --help"] / t["import geopandas"]
    analyze_ratio = t["corridor analyze"] / t["import 5 libraries"]
    print(f"corridor --help / import geopandas:     {help_ratio:.2f}  (aim ≤ 0.4)")
    print(f"corridor analyze / import 5 libraries:  {analyze_ratio:.2f}  (aim ≤ 1.3)")
    if not args.no_crossover:
        crossover(args.repeat, cwd)


if __name__ == "__main__":
    main()
