"""Uncertainty: warm re-solves with new figures, the same answer wherever it runs, and analyze at the centre."""

from __future__ import annotations

import contextlib
import math
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from corridor import load_geodata
from corridor._errors import ScenarioError
from corridor.analyses.uncertainty import Cluster, _unit_design, collapse, design, list_parameters, uncertainty
from corridor.cli import main
from corridor.io.scenario import Demand, _parse, load_scenario
from corridor.model.network import arcs_from_graph, build_network
from corridor.model.problem import build_problem
from corridor.results import analyze
from corridor.solve.master import MasterLP

from .conftest import REPO
from .netbuild import make_geodata, scenario


@pytest.fixture
def two_routes(tmp_path):
    """Two parallel routes, the cheap one an estimate with a range::

        a ──cheap (cap 5, range 2..8, tariff 1)── b
         ╲                                       ╱
          ──dear  (cap 10, tariff 3)─────────────

    Demand a→b 6: the cheap route binds unless its capacity is drawn above 6.
    """
    return make_geodata(
        tmp_path,
        {"a": (0, 0), "b": (2, 0)},
        [
            {"id": "cheap", "a": "a", "b": "b", "capacity": 5.0, "capacity_low": 2.0, "capacity_high": 8.0},
            {"id": "dear", "a": "a", "b": "b", "capacity": 10.0, "tariff_usd": 3.0},
        ],
    )


@pytest.fixture(scope="module")
def bundled():
    data = load_geodata(None)
    return data, load_scenario("target-2030", data)


def _master(geodata, sc):
    graph = build_network(geodata, sc)
    problem, _ = build_problem(arcs_from_graph(graph), graph, sc)
    return problem, MasterLP(problem)


def test_set_capacity_and_demand_equal_a_cold_solve(two_routes):
    problem, master = _master(two_routes, scenario([("a", "b", 6.0)]))
    base = master.solve()
    mark = master.checkpoint()
    cap = problem.arcs.capacity.copy()
    cap[np.array(problem.arcs.element) == "cheap"] = 1.0
    master.set_capacity(cap)
    master.set_demand(problem.demand * 2)
    warm = master.solve()
    cold = MasterLP(replace(problem, demand=problem.demand * 2, arcs=replace(problem.arcs, capacity=cap))).solve()
    assert warm.objective == pytest.approx(cold.objective, rel=1e-12)
    assert warm.served == pytest.approx(cold.served)
    master.restore(mark)
    again = master.solve()
    assert again.objective == base.objective
    assert np.array_equal(again.served, base.served)


def test_restore_makes_a_solve_independent_of_the_history(two_routes):
    problem, master = _master(two_routes, scenario([("a", "b", 6.0)]))
    master.solve()
    mark = master.checkpoint()
    cap = problem.arcs.capacity.copy()
    master.set_capacity(cap * 0.3)
    first = master.solve(detail=False)
    master.restore(mark)
    master.set_capacity(cap * 1.7)
    master.solve()
    master.restore(mark)
    master.set_capacity(cap * 0.3)
    second = master.solve(detail=False)
    assert first.objective == second.objective
    assert np.array_equal(first.dual, second.dual)


def test_tiny_network_binds_with_the_expected_probability(two_routes):
    doc = uncertainty(two_routes, scenario([("a", "b", 6.0)]), samples=64, seed=3, sampler="random")
    cheap = next(a for a in doc["assets"] if a["id"] == "cheap")
    # triangular(2, 5, 8): P(capacity < 6) = 1 - (8 - 6)^2 / (6 * 3) = 7/9
    assert 0.5 < cheap["p_binding"] < 0.95
    assert doc["assets"][0]["id"] == "cheap"
    assert doc["totals"]["freight"]["served_p50"] == pytest.approx(6.0)


def test_a_demand_range_around_zero_is_sampled(two_routes):
    """Demand a→b is 0 today, estimated up to 10 (triangular 0, 0, 10); ``cheap`` (capacity 2..8) binds above it."""
    sc = replace(
        scenario([("a", "b", 0.0)]),
        demand=(Demand("a", "b", "freight", 0.0, amount_low=0.0, amount_high=10.0),),
    )
    doc = uncertainty(two_routes, sc, samples=200, seed=5, sampler="random")
    freight = doc["totals"]["freight"]
    assert freight["served_p05"] < 1.0 < freight["served_p50"] < freight["served_p95"] < 10.0
    cheap = next(a for a in doc["assets"] if a["id"] == "cheap")
    assert 0.05 < cheap["p_binding"] < 0.6


def test_collapsed_ranges_reproduce_analyze(bundled):
    data, sc = bundled
    run = analyze(sc.path, geodata=data)
    params = collapse(list_parameters(data, sc))
    doc = uncertainty(data, sc, samples=3, seed=0, parameters=params)
    flagged = {}
    for gdf in (run.nodes, run.edges):
        for fid, r in gdf[gdf["active"] & gdf["capacity_effective"].notna()].iterrows():
            flagged[fid] = r
    assert {a["id"] for a in doc["assets"]} == set(flagged)
    for a in doc["assets"]:
        r = flagged[a["id"]]
        assert a["p_binding"] == float(r["severity"] == "binding"), a["id"]
        assert a["p_bottleneck"] == float(bool(r["bottleneck"])), a["id"]
        assert a["utilization_p05"] == a["utilization_p95"]
        assert a["utilization_p50"] == pytest.approx(r["utilization"], rel=1e-9, abs=1e-12), a["id"]
        assert a["shadow_price_p50"] == pytest.approx(r["shadow_price"], rel=1e-9, abs=1e-9), a["id"]
    totals = run.result.totals()
    for c, t in doc["totals"].items():
        assert t["served_p50"] == pytest.approx(totals.loc[c, "served"], rel=1e-12)
        assert t["diverted_p50"] == pytest.approx(totals.loc[c, "unserved"], rel=1e-9, abs=1e-12)


def _strip(doc):
    return {k: v for k, v in doc.items() if k != "backend"}


@contextlib.contextmanager
def _port_taken(port: int):
    """Hold ``port`` on every interface for the block (if another process holds it already, it stays taken)."""
    sock = socket.socket()
    try:
        sock.bind(("", port))
        sock.listen()
    except OSError:
        pass
    try:
        yield
    finally:
        sock.close()


def test_same_seed_same_json_on_every_backend(bundled):
    import distributed  # noqa: F401  (the test extra installs it: a missing one fails here, never skips)

    data, sc = bundled
    kw = dict(samples=60, seed=7)  # the default Latin hypercube: the whole design is drawn in this process
    one = uncertainty(data, sc, workers=1, **kw)
    two = uncertainty(data, sc, workers=2, **kw)
    assert two["backend"] == "local (2 processes)"
    assert _strip(one) == _strip(two)
    with _port_taken(8787):  # Dask's default HTTP port, e.g. another cluster on the machine: no warning, no clash
        cluster = uncertainty(data, sc, workers=2, scheduler="local", **kw)  # this process helps while it starts
    assert cluster["backend"].startswith("dask LocalCluster")
    assert _strip(one) == _strip(cluster)
    with Cluster("local", workers=2) as started:
        client, _ = started.get()  # up before the sampling: every batch runs on the cluster's processes
        on_cluster = uncertainty(data, sc, scheduler=started, **kw)
        built = client.run(lambda: len(__import__("corridor.solve.sampling", fromlist=["_MASTERS"])._MASTERS))
    assert _strip(one) == _strip(on_cluster)
    assert sum(built.values()) >= 1  # a worker built a master: the samples ran there
    p = [a["p_binding"] for a in one["assets"]]
    assert all(0.0 <= x <= 1.0 for x in p)
    assert any(0.0 < x < 1.0 for x in p)
    assert p == sorted(p, reverse=True)
    for key in ("scenario", "samples", "seed", "sampler", "backend", "assets", "totals"):
        assert key in one
    assert {"id", "name", "p_binding", "utilization_p05", "shadow_price_p95", "relief_musd_per_year_p50"} <= set(
        one["assets"][0]
    )


def test_design_rows_depend_on_seed_and_index_only(bundled):
    data, sc = bundled
    params = list_parameters(data, sc)
    for sampler in ("sobol", "random"):
        short = design(params, 16, sampler=sampler, seed=5)
        long = design(params, 64, sampler=sampler, seed=5)
        assert np.array_equal(short, long[:16])
    values = design(params, 64, seed=5)
    assert ((values >= params["low"].to_numpy() - 1e-12) & (values <= params["high"].to_numpy() + 1e-12)).all()
    # a Latin hypercube is a design of all n samples (documented): every parameter has one sample in each of
    # the n strata, so the first 16 of 64 are not the 16-sample design; the same seed and n give the same rows
    unit = _unit_design(64, len(params), sampler="lhs", seed=5)
    assert all(sorted(np.floor(unit[:, j] * 64).astype(int)) == list(range(64)) for j in range(len(params)))
    assert not np.array_equal(design(params, 16, seed=5), values[:16])
    assert np.array_equal(design(params, 64, seed=5), values)


def test_a_problem_without_geodata(two_routes):
    """for_problem: every capacity and demand gets a range; with no spread the samples are the central solve."""
    from corridor.analyses.uncertainty import for_problem, run, summarize

    problem, master = _master(two_routes, scenario([("a", "b", 6.0)]))
    central = master.solve()
    ctx, assets, params = for_problem(problem, spread=0.0)
    assert list(params["field"]) == ["capacity", "capacity", "capacity", "capacity", "amount"]  # 2 edges x 2 ways
    results, _ = run(ctx, design(params, 4, seed=1))
    rows, totals = summarize(results, assets, ctx)
    cheap = [r for r in rows if r["id"] == "cheap"]
    assert [r["p_binding"] for r in cheap] == [1.0, 0.0]  # a→b binds, b→a carries nothing
    assert totals["freight"]["served_p50"] == pytest.approx(central.served.sum(), rel=1e-12)
    ctx, assets, params = for_problem(problem, spread=0.5)
    assert (params["high"] == 1.5 * params["central"]).all()
    rows, _ = summarize(run(ctx, design(params, 64, sampler="random", seed=2))[0], assets, ctx)
    assert 0.0 < max(r["p_binding"] for r in rows if r["id"] == "cheap") < 1.0


def test_list_shows_the_sources(capsys):
    assert main(["uncertainty", "--scenario", "target-2030", "--list"]) == 0
    out = capsys.readouterr().out
    assert "uncertain parameters" in out
    assert "https://" in out
    assert "capacity" in out and "amount" in out


def test_sensitivity_names_the_parameter_that_matters(two_routes):
    import SALib  # noqa: F401  (the test extra installs it)

    doc = uncertainty(two_routes, scenario([("a", "b", 12.0)]), samples=32, seed=1, sensitivity=True)
    assert doc["samples"] == 32 * (2 * 1 + 2)
    (row,) = doc["sensitivity"]
    assert row["parameter"] == "cheap:capacity"
    assert math.isfinite(row["ST"])


def test_amount_range_must_hold_the_amount():
    doc = {
        "name": "x",
        "year": 2024,
        "demand": [{"origin": "a", "destination": "b", "commodity": "freight", "amount": 2.0, "amount_low": 3.0}],
    }
    with pytest.raises(ScenarioError, match="amount_low"):
        _parse(doc, "x.toml")
    doc["demand"][0].update(amount_low=1.0, amount_high=4.0)
    assert _parse(doc, "x.toml").demand[0].amount_high == 4.0


#: Runs ``corridor ARGV`` and touches the marker file when the samples start.
WRAPPER = """
import sys
from pathlib import Path

import corridor.analyses.uncertainty as unc
from corridor.cli import main

marker = Path(sys.argv[1])
original = unc.run


def run(*args, **kwargs):
    marker.touch()
    return original(*args, **kwargs)


unc.run = run
sys.exit(main(sys.argv[2:]))
"""


def test_ctrl_c_stops_the_workers_and_prints_nothing(tmp_path):
    from .test_interrupt import _wait, _workers

    marker = tmp_path / "sampling"
    argv = [
        "uncertainty",
        "--scenario",
        "target-2030",
        "--samples",
        "100000",
        "--workers",
        "3",
        "--json",
    ]  # 2 + this one
    proc = subprocess.Popen(
        [sys.executable, "-c", WRAPPER, str(marker), *argv],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    workers: list[int] = []
    try:
        _wait(lambda: marker.exists() or proc.poll() is not None, "the sampling")

        def started() -> bool:
            workers[:] = _workers(proc.pid)
            return len(workers) >= 2 or proc.poll() is not None

        _wait(started, "the worker processes")
        time.sleep(0.5)
        assert proc.poll() is None, proc.stderr.read()
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert err == "corridor: interrupted\n", err
    assert proc.returncode == 130
    assert out == ""  # nothing partial
    _wait(lambda: not any(Path(f"/proc/{w}").exists() for w in workers), "the workers to end", timeout=10)


def test_map_layer_of_the_probability_of_binding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from .browser import page_data

    monkeypatch.chdir(tmp_path)
    assert main(["uncertainty", "--scenario", "baseline-2024", "--samples", "8", "--seed", "3", "--map", "--json"]) == 0
    doc = __import__("json").loads(capsys.readouterr().out)
    page = (tmp_path / "maps" / "baseline-2024-uncertainty.html").read_text(encoding="utf-8")
    layers = [layer for layers in page_data(page)["sets"] for layer in layers if layer.get("overlay")]
    assert len(layers) == 1 and layers[0]["name"]["text"].startswith("Probability of being binding")
    shown = {item["id"] for item in layers[0]["overlay"]}
    assert shown and shown <= {a["id"] for a in doc["assets"]}


def test_exports_carry_the_statistics(bundled, tmp_path: Path) -> None:
    import csv
    import json

    from corridor.analyses.uncertainty import with_uncertainty
    from corridor.export import export

    data, sc = bundled
    run = analyze(sc.path, geodata=data)
    doc = uncertainty(data, sc, samples=8, seed=2)
    with_stats = with_uncertainty(run, doc)
    expected = {a["id"]: a["p_binding"] for a in doc["assets"]}
    export(with_stats, "geojson", tmp_path / "u.geojson")
    features = json.loads((tmp_path / "u.geojson").read_text(encoding="utf-8"))["features"]
    shown = {f["id"]: f["properties"]["p_binding"] for f in features if f["properties"].get("p_binding") is not None}
    assert shown == pytest.approx(expected)
    export(with_stats, "csv", tmp_path / "u.csv")
    with open(tmp_path / "u.csv", encoding="utf-8", newline="") as fh:
        rows = {r["id"]: r for r in csv.DictReader(fh)}
    assert {i: float(rows[i]["p_binding"]) for i in expected} == pytest.approx(expected)
    export(with_stats, "md", tmp_path / "u.md")
    assert "probability of being the bottleneck" in (tmp_path / "u.md").read_text(encoding="utf-8")
    export(run, "csv", tmp_path / "plain.csv")  # without the statistics the columns are not there
    assert "p_binding" not in (tmp_path / "plain.csv").read_text(encoding="utf-8").splitlines()[0]
