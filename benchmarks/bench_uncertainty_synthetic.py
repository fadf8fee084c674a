"""Benchmark: Monte Carlo uncertainty on a synthetic 10k-edge corridor-like network.

    python benchmarks/bench_uncertainty_synthetic.py [--samples 1000] [--workers 1 2] [--no-cluster]
        [--network net_10k_od100.npz | --generator ../shared/bench/corridor_like.py]

The network is the seeded 10k-edge, 100-OD network of ``corridor_like.py`` (see its README; generated into
``--data`` when no ``--network`` is given). Every edge capacity and every OD demand gets a ±20 % uniform range
(``--spread``), so each sample changes all 10,000 capacities and 100 amounts; each directed edge is an asset.

Each configuration runs in a fresh process of this script and reports (figures, not pass/fail):

* the wall time of the sampling (``corridor.analyses.uncertainty.run``: worker start-up, warm masters, samples), its
  time per sample, and the worker-seconds per sample (wall × processes / samples);
* the peak resident memory of the parent and of the largest worker (local processes: ``ru_maxrss``; Dask:
  each worker's ``ru_maxrss`` asked over the client) and the size of the result rows;
* the efficiency of W workers against 1 (t1 / (W tW)) and the LocalCluster's overhead against local processes.

Before the samples, one cold central solve (build the master, solve it) gives the time a sample saves by
re-solving warm. The load average before each run is printed: scaling figures are meaningless under load.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from shared_networks import problem_from_npz

ROOT = Path(__file__).resolve().parents[1]


def network_file(args: argparse.Namespace) -> Path:
    if args.network:
        return Path(args.network)
    spec = importlib.util.spec_from_file_location("corridor_like", args.generator)
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    gen.DATA = str(args.data)
    gen.load("10k", 100)  # writes net_10k_od100.npz once (seeded)
    return Path(args.data) / "net_10k_od100.npz"


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds(who: int = resource.RUSAGE_SELF) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def one(args: argparse.Namespace) -> dict:
    """One configuration in this (fresh) process; returns its figures."""
    from corridor.analyses import uncertainty as unc
    from corridor.solve.master import MasterLP

    Cluster, design, for_problem, run, summarize = unc.Cluster, unc.design, unc.for_problem, unc.run, unc.summarize

    problem = problem_from_npz(Path(args.network))
    out: dict = {"config": args.one, "load_before": os.getloadavg()[0]}
    if args.one == "cold":
        t = time.perf_counter()
        sol = MasterLP(problem).solve(detail=False)
        out.update(seconds=time.perf_counter() - t, parent_mib=_peak_rss_mib(), objective=sol.objective)
        return out
    ctx, assets, params = for_problem(problem, spread=args.spread)
    values = design(params, args.samples, sampler="lhs", seed=1)
    out.update(parameters=len(params), assets=len(assets), design_mib=values.nbytes / 2**20)
    kind, w = args.one.split(":")
    workers = int(w)
    t = time.perf_counter()
    cpu = _cpu_seconds() + _cpu_seconds(resource.RUSAGE_CHILDREN)  # children: once they have ended
    if kind == "dask":
        with Cluster("local", workers=workers) as cluster:
            results, backend = run(ctx, values, scheduler=cluster)
            client, _ = cluster.get()
            worker_mib = max(client.run(_peak_rss_mib).values())
    else:
        results, backend = run(ctx, values, workers=workers)
        worker_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 if workers > 1 else None
    seconds = time.perf_counter() - t
    cpu = _cpu_seconds() + _cpu_seconds(resource.RUSAGE_CHILDREN) - cpu
    rows, _ = summarize(results, assets, ctx)
    out.update(
        backend=backend,
        processes=workers,
        seconds=seconds,
        parent_mib=_peak_rss_mib(),
        worker_mib=worker_mib,
        results_mib=results.nbytes / 2**20,
        cpu_seconds=cpu,
        binding_somewhere=sum(r["p_binding"] > 0 for r in rows),
        binding_sometimes=sum(0 < r["p_binding"] < 1 for r in rows),
        load_after=os.getloadavg()[0],
    )
    print(json.dumps(out), file=sys.stderr)  # also on stderr: a log of every figure
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--samples", type=int, default=1000)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="local process counts (default: 1 2)")
    p.add_argument("--cluster", type=int, default=2, help="LocalCluster processes (0: skip; default: 2)")
    p.add_argument("--spread", type=float, default=0.2)
    p.add_argument("--network", help="a corridor_like .npz (default: generate net_10k_od100.npz into --data)")
    p.add_argument("--generator", default=str(ROOT.parent / "shared" / "bench" / "corridor_like.py"))
    p.add_argument("--data", default=os.environ.get("CORRIDOR_BENCH_DATA", str(ROOT / "bench-data")))
    p.add_argument("--one", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.one:
        print(json.dumps(one(args)))
        return
    network = network_file(args)
    configs = ["cold"] + [f"local:{w}" for w in args.workers] + ([f"dask:{args.cluster}"] if args.cluster else [])
    print(f"{os.cpu_count()} cores; {network.name}; {args.samples} samples, ±{args.spread:.0%} uniform", flush=True)
    got = {}
    for c in configs:
        cmd = [sys.executable, __file__, "--one", c, "--network", str(network), "--samples", str(args.samples)]
        cmd += ["--spread", str(args.spread)]
        proc = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True)
        got[c] = r = json.loads(proc.stdout.strip().splitlines()[-1])
        if c == "cold":
            print(
                f"cold central solve: {r['seconds']:.2f} s, peak {r['parent_mib']:.0f} MiB "
                f"(load {r['load_before']:.1f})"
            )
            continue
        worker = f"{r['worker_mib']:.0f}" if r["worker_mib"] else "-"
        print(
            f"{r['backend']:<30}{r['seconds']:8.1f} s  {1000 * r['seconds'] / args.samples:7.1f} ms/sample  "
            f"{r['seconds'] * r['processes'] / args.samples:6.3f} worker-s/sample  "
            f"CPU {r.get('cpu_seconds', float('nan')):.0f} s  parent {r['parent_mib']:.0f} MiB  "
            f"worker {worker} MiB  results {r['results_mib']:.0f} MiB  (load {r['load_before']:.1f} -> "
            f"{r['load_after']:.1f}); {r['parameters']} parameters, {r['assets']} assets, "
            f"{r['binding_sometimes']} binding in some samples only",
            flush=True,
        )
    base = got.get("local:1")
    if base:
        for w in args.workers:
            if w > 1:
                print(f"efficiency 1 -> {w} local: {base['seconds'] / (w * got[f'local:{w}']['seconds']):.0%}")
    if args.cluster and f"local:{args.cluster}" in got:
        d, loc = got[f"dask:{args.cluster}"], got[f"local:{args.cluster}"]
        print(f"LocalCluster x{args.cluster} overhead vs local processes: {d['seconds'] / loc['seconds'] - 1:+.0%}")


if __name__ == "__main__":
    main()
