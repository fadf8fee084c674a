"""Benchmark: Monte Carlo uncertainty on target-2030 against one cold ``corridor analyze``.

    python benchmarks/bench_uncertainty.py [--samples 2000] [--large 10000] [--no-cluster]

Prints (figures, not pass/fail):

* one cold ``corridor analyze --scenario target-2030`` (a fresh process, wall time);
* ``corridor uncertainty`` with ``--samples N`` on 1 and on 2 local worker processes (fresh processes, wall time):
  the ratio to the cold analyze, the time per sample and the scaling efficiency t1 / (2 t2);
* the same on a ``distributed.LocalCluster`` of 2 processes (``--scheduler local``): its overhead against the
  local processes;
* with ``--large``, the 2-worker run at that many samples.

The machine's other load shows in every wall time: run it on an idle machine and take the better of a few runs.
Each line also gives the run's CPU seconds (worker processes included) and the load average before it, which
say how far other work on the machine stretched the wall times.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time

CPU: list[float] = []  # CPU seconds of the last run, its worker processes included


def wall(args: list[str]) -> float:
    """Wall time of ``corridor <args>`` in a fresh process (output discarded); its CPU time goes to :data:`CPU`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "corridor", *args], check=True, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU[:] = [after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime]
    return elapsed


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", default="target-2030")
    p.add_argument("--samples", type=int, default=2000)
    p.add_argument("--large", type=int, default=0, help="also run this many samples on 2 workers (e.g. 10000)")
    p.add_argument("--no-cluster", action="store_true", help="skip the Dask LocalCluster run")
    a = p.parse_args()
    run = ["uncertainty", "--scenario", a.scenario, "--seed", "1", "--json"]

    def line(label: str, seconds: float, n: int) -> str:
        load = os.getloadavg()[0]
        return (
            f"{label:<34}{seconds:7.2f} s  {1000 * seconds / n:5.2f} ms/sample  {seconds / analyze:5.1f}x analyze  "
            f"CPU {CPU[0]:6.1f} s  (load {load:.1f})"
        )

    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the start")
    analyze = min(wall(["analyze", "--scenario", a.scenario, "--json"]) for _ in range(2))
    print(f"cold analyze {a.scenario}: {analyze:.2f} s (best of 2), CPU {CPU[0]:.1f} s")
    t1 = wall([*run, "--samples", str(a.samples), "--workers", "1"])
    print(line(f"{a.samples} samples, 1 worker", t1, a.samples))
    t2 = wall([*run, "--samples", str(a.samples), "--workers", "2"])
    print(line(f"{a.samples} samples, 2 workers", t2, a.samples) + f"; efficiency 1->2 {t1 / (2 * t2):.0%}")
    if not a.no_cluster:
        tc = wall([*run, "--samples", str(a.samples), "--scheduler", "local", "--workers", "2"])
        print(
            line(f"{a.samples} samples, LocalCluster x2", tc, a.samples) + f"; overhead vs processes {tc / t2 - 1:+.0%}"
        )
    if a.large:
        tl = wall([*run, "--samples", str(a.large), "--workers", "2"])
        print(line(f"{a.large} samples, 2 workers", tl, a.large))
        t1l = wall([*run, "--samples", str(a.large), "--workers", "1"])
        print(line(f"{a.large} samples, 1 worker", t1l, a.large) + f"; efficiency 1->2 {t1l / (2 * tl):.0%}")


if __name__ == "__main__":
    main()
