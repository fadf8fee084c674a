"""The subcommands of ``corridor``; each is a few lines over the Python API."""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from corridor._errors import ArgumentError
from corridor._untrusted import one_line
from corridor.cli._registry import command
from corridor.io import schema

if TYPE_CHECKING:
    from corridor.io.geodata import Geodata


def load_geodata(path: Path | None, *, strict: bool = True) -> Geodata:
    """:func:`corridor.io.geodata.load_geodata`, imported when a command runs (``corridor --help`` stays fast).

    Parameters
    ----------
    path : Path or None
        The ``--geodata`` folder or GeoPackage (None: the bundled data).
    strict : bool
        Stop at the first problem (``validate --strict``) instead of listing all.

    Returns
    -------
    Geodata
        The validated data.

    Examples
    --------
    >>> g = load_geodata(None)
    >>> g.nodes.crs.to_string()
    'EPSG:4326'
    """
    from corridor.io.geodata import load_geodata as load

    return load(path, strict=strict)


def _at_least(value: int, flag: str, minimum: int) -> int:
    """A count given on the command line: refuse e.g. ``--top -1`` instead of printing "worst -1 shown"."""
    if value < minimum:
        raise ArgumentError(f"{flag} {value} is below {minimum} (fix: give a count of {minimum} or more)")
    return value


@command(
    "validate", "Check the geodata against the schema; list every problem.", "corridor validate --geodata geodata/"
)
def _validate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--strict", action="store_true", help="stop at the first problem instead of listing all")


@_validate_args.handler
def _validate(args: argparse.Namespace) -> int:
    from corridor._errors import ScenarioError
    from corridor.io.geodata import topology_warnings
    from corridor.io.scenario import list_scenarios, load_scenario

    data = load_geodata(args.geodata, strict=args.strict)
    for warning in data.warnings:
        print(f"corridor: warning: {warning}", file=sys.stderr)
    print(f"{data.path}: {len(data.nodes)} nodes and {len(data.edges)} edges are valid")
    demand = []
    for name in list_scenarios(data):
        try:
            demand += [(d.origin, d.destination, d.commodity) for d in load_scenario(name, data).demand]
        except ScenarioError:
            continue  # a broken scenario is reported by the commands that use it
    warnings = topology_warnings(data, demand)
    if warnings:
        print(f"{len(warnings)} topology warning(s):")
        for w in warnings:
            print(f"  warning: {w}")
    return 0


@command("schema", "Print the node and edge fields as Markdown (the README's data section).", "corridor schema")
def _schema_args(p: argparse.ArgumentParser) -> None:
    pass


@_schema_args.handler
def _schema(args: argparse.Namespace) -> int:
    from corridor.io.schema import markdown_table

    print("### Nodes\n\n" + markdown_table("nodes") + "\n\n### Edges\n\n" + markdown_table("edges"))
    return 0


def _scenario_args(
    p: argparse.ArgumentParser, *, methods: tuple[str, ...] = ("aon", "system-optimal", "equilibrium")
) -> None:
    p.add_argument(
        "--scenario",
        default="baseline-2024",
        help="scenario name in geodata/scenarios/ or a .toml path (default: baseline-2024)",
    )
    p.add_argument(
        "--method", default="system-optimal", choices=methods, help="assignment method (default: system-optimal)"
    )


@command(
    "analyze",
    "Assign a scenario's demand and report the bottlenecks, totals and transit times.",
    "corridor analyze --scenario target-2030 --json > target-2030.json",
)
def _analyze_args(p: argparse.ArgumentParser) -> None:
    _scenario_args(p)
    p.add_argument("--json", action="store_true", help="print one JSON document instead of the table")
    p.add_argument("--top", type=int, default=10, help="how many bottlenecks the table lists (default: 10)")
    p.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="utilisation that flags a bottleneck (default: the scenario's, 0.9)",
    )
    p.add_argument(
        "--compare-method",
        default=None,
        choices=("aon", "system-optimal", "equilibrium"),
        help="also assign with this method and compare the flows (e.g. equilibrium vs system-optimal)",
    )
    p.add_argument("--map", action="store_true", help="also write the interactive map to maps/<scenario>.html")


@_analyze_args.handler
def _analyze(args: argparse.Namespace) -> int:
    from corridor.render.text import text_report
    from corridor.results import analyze, compare_methods, dumps

    _at_least(args.top, "--top", 0)
    run = analyze(args.scenario, geodata=args.geodata, method=args.method, threshold=args.threshold)
    other = None
    if args.compare_method:
        other = analyze(run.scenario.path, geodata=run.geodata, method=args.compare_method, threshold=args.threshold)
    doc = run.document
    if other is not None:
        doc = {**doc, "compare": compare_methods(run.document, other.document)}
    if args.json:
        print(dumps(doc), end="")
    else:
        print(text_report(doc, top=args.top))
    if args.map:
        from corridor._output import slug
        from corridor.render.maps import write_map

        # the scenario's name comes from its file: a slug, so that the map stays under maps/
        path = write_map(run, Path("maps") / f"{slug(run.scenario.name, default='scenario')}.html")
        print(f"map: {path}")
    return 0


@command(
    "calibrate",
    "Compare the model (corridor flow + background traffic) with the observed counts of the scenario's year.",
    "corridor calibrate --scenario baseline-2024",
)
def _calibrate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scenario", default="baseline-2024", help="scenario (default: baseline-2024)")
    p.add_argument(
        "--counts", type=Path, default=None, metavar="CSV", help="counts file (default: counts.csv beside the geodata)"
    )
    p.add_argument("--json", action="store_true", help="print one JSON document (rows and summary)")


@_calibrate_args.handler
def _calibrate(args: argparse.Namespace) -> int:
    import json

    from corridor.analyses.assign import assign
    from corridor.analyses.calibrate import EXPLAIN_BEYOND, calibrate, load_counts
    from corridor.io.scenario import load_scenario

    data = load_geodata(args.geodata)
    sc = load_scenario(args.scenario, data)
    folder = data.path if data.path.is_dir() else data.path.parent
    counts = load_counts(args.counts or folder / "counts.csv")
    cal = calibrate(data, assign(data, sc), counts)
    if args.json:
        print(json.dumps(cal.to_document(), indent=1, ensure_ascii=False))
        return 0
    s = cal.summary
    print(f"Scenario {one_line(cal.scenario)} ({cal.year}): the model against {s['n']} observed counts")
    print(f"{'count':<40}{'observed':>10}{'model':>10} {'unit':<7}{'error':>7}  role")
    for _, r in cal.rows.iterrows():
        print(
            f"{one_line(r['id'])[:39]:<40}{r['observed']:>10.2f}{r['modelled']:>10.2f} {r['unit']:<7}"
            f"{r['error']:>+7.0%}  {r['role']}"
        )
        if abs(r["error"]) > EXPLAIN_BEYOND:
            print(f"{'':4}why: {one_line(r['note']) or 'NOT EXPLAINED'}")
    print(
        f"median absolute error {s['median_abs_error']:.0%} "
        f"(validation counts {s['validation']['median_abs_error'] or 0:.0%} over {s['validation']['n']}; "
        f"calibration counts {s['calibration']['median_abs_error'] or 0:.0%} over {s['calibration']['n']}); "
        f"worst {s['worst']['id']} ({s['worst']['error']:+.0%})"
    )
    return 0


def _ids(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


CHINA_BORDER = "alashankou,khorgos-cn"
WEST_GATEWAYS = "poti-port,batumi-port,anaklia-port,istanbul-gateway"


def _live_gateways(data, scenario) -> list[str]:
    """The default western gateways that are in service in the scenario's year."""
    live = data.nodes["start_year"].fillna(0) <= scenario.year
    return [s for s in _ids(WEST_GATEWAYS) if s in data.nodes.index and bool(live[s])]


@command(
    "throughput",
    "Maximum flow between two groups of nodes and the minimum cut (the assets that set it).",
    "corridor throughput --scenario baseline-2024 --from alashankou,khorgos-cn --to poti-port,batumi-port",
)
def _throughput_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scenario", default="baseline-2024", help="scenario (default: baseline-2024)")
    p.add_argument("--commodity", default="freight", help="freight, oil, gas, electricity or data (default: freight)")
    p.add_argument(
        "--from",
        dest="sources",
        default=CHINA_BORDER,
        help=f"origin node ids, comma-separated (default: {CHINA_BORDER})",
    )
    p.add_argument(
        "--to",
        dest="sinks",
        default=WEST_GATEWAYS,
        help=f"destination node ids, comma-separated (default: {WEST_GATEWAYS}, less those not yet in service)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")


@_throughput_args.handler
def _throughput(args: argparse.Namespace) -> int:
    import json

    from corridor.analyses.throughput import max_throughput
    from corridor.io.scenario import load_scenario

    data = load_geodata(args.geodata)
    sc = load_scenario(args.scenario, data)
    sinks = _live_gateways(data, sc) if args.sinks == WEST_GATEWAYS else _ids(args.sinks)
    t = max_throughput(data, sc, sources=_ids(args.sources), sinks=sinks, commodity=args.commodity)
    unit = schema.commodity_units()[t.commodity]
    if args.json:
        doc = {
            "scenario": t.scenario,
            "year": t.year,
            "commodity": t.commodity,
            "from": list(t.sources),
            "to": list(t.sinks),
            "max_throughput": round(t.value, 6),
            "unit": unit,
            "cut": json.loads(t.cut.to_json(orient="records")),
        }
        print(json.dumps(doc, indent=1, ensure_ascii=False))
        return 0
    print(f"Scenario {one_line(t.scenario)} ({t.year}): maximum {t.commodity} throughput {t.value:.2f} {unit}")
    print(f"  from {', '.join(t.sources)}\n  to   {', '.join(t.sinks)}")
    print(f"Minimum cut ({len(t.cut)} assets; their capacities add up to the maximum):")
    for _, r in t.cut.iterrows():
        print(
            f"  {r['capacity']:>9.2f} {r['capacity_unit']:<6} {one_line(r['name'])} "
            f"[{r['id']}, {r['direction']}, {r['status']}]"
        )
        print(f"            source: {one_line(r['source_url'])} ({r['source_year']})")
    return 0


@command(
    "criticality",
    "N-1: take each asset out alone and rank what its loss costs (served demand, cost, throughput).",
    "corridor criticality --scenario baseline-2024 --top 10",
)
def _criticality_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scenario", default="baseline-2024", help="scenario (default: baseline-2024)")
    p.add_argument("--top", type=int, default=15, help="how many assets to list (default: 15)")
    p.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="outages solved at once, in worker threads (default: the cores available; used from 100 re-solves on)",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        help="run the re-solves on Dask: tcp://host:8786, or 'local' for a LocalCluster of --jobs processes",
    )
    p.add_argument("--json", action="store_true", help="print JSON (all assets)")


@_criticality_args.handler
def _criticality(args: argparse.Namespace) -> int:
    from corridor.analyses.criticality import criticality
    from corridor.io.scenario import load_scenario

    _at_least(args.top, "--top", 0)
    _at_least(args.jobs, "--jobs", 1)
    data = load_geodata(args.geodata)
    sc = load_scenario(args.scenario, data)
    table = criticality(data, sc, jobs=args.jobs, progress=not (args.json or args.quiet), scheduler=args.scheduler)
    if args.json:
        print(table.to_json(orient="records", indent=1, force_ascii=False))
        return 0
    print(
        f"Scenario {one_line(sc.name)} ({sc.year}): N-1 criticality, worst first "
        f"({int(table['resolved'].sum())} of {len(table)} assets re-solved; the rest provably change nothing)"
    )
    print(
        f"{'#':>3} {'id':<34}{'lost':>9}{'+ other':>9} {'unit':<6}{'cost Δ MUSD/yr':>15}{'throughput Δ':>13}  "
        "name — alternative"
    )
    for _, r in table.head(args.top).iterrows():
        alt = (
            f"detour {r['diff_time_days']:+.1f} d, {r['diff_cost']:+.0f} USD/unit"
            if r["detour"]
            else (f"no detour: diverts to {one_line(r['diverted_to'])}" if r["diverted_to"] else "no alternative route")
            if r["alt_od"]
            else "-"
        )
        print(
            f"{r['rank']:>3} {r['id']:<34}{r['served_loss']:>9.2f}{r['background_loss']:>9.2f} "
            f"{r['capacity_unit'] or '':<6}"
            f"{r['cost_change_musd']:>15,.1f}{r['throughput_change']:>13.2f}  {one_line(r['name'])} — {alt}"
        )
    return 0


def _quantity(text: str) -> tuple[float, str]:
    """``10``, ``10 Mt/yr`` or ``10Mt`` → (10.0, unit or ""); argparse reports anything else in one line."""
    match = re.fullmatch(r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf)\s*([A-Za-z/]*)\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"'{text}' is not an amount (e.g. 10 or '10 Mt/yr')")
    return float(match.group(1)), match.group(2)


@command(
    "plan",
    "The least-cost capacity expansions that let the network carry a target (an LP).",
    "corridor plan --scenario target-2030 --target 10",
)
def _plan_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--scenario", default="baseline-2024", help="scenario whose demand pattern is scaled (default: baseline-2024)"
    )
    p.add_argument(
        "--target",
        type=_quantity,
        required=True,
        help="total demand to carry, in the commodity's unit: a number, or with its unit (e.g. 10 or '10 Mt/yr')",
    )
    p.add_argument("--commodity", default="freight", help="freight, oil, gas, electricity or data (default: freight)")
    p.add_argument("--json", action="store_true", help="print JSON")


@_plan_args.handler
def _plan(args: argparse.Namespace) -> int:
    import json

    from corridor.analyses.plan import plan_expansion
    from corridor.io.scenario import load_scenario

    data = load_geodata(args.geodata)
    sc = load_scenario(args.scenario, data)
    target, unit = args.target
    wanted = schema.commodity_units().get(args.commodity)
    if unit and wanted and unit.replace("/yr", "") != wanted.replace("/yr", ""):
        raise ArgumentError(
            f"the target is in {unit} but {args.commodity} is counted in {wanted} (fix: --target '10 {wanted}')"
        )
    plan = plan_expansion(data, sc, target=target, commodity=args.commodity)
    if args.json:
        doc = {
            "scenario": plan.scenario,
            "year": plan.year,
            "commodity": plan.commodity,
            "target": plan.target,
            "served": round(plan.served, 6),
            "total_cost_musd": round(plan.total_cost_musd, 6),
            "solver_status": plan.solver_status,
            "expansions": json.loads(plan.expansions.to_json(orient="records")),
            "planned_in_use": json.loads(plan.planned_in_use.to_json(orient="records")),
        }
        print(json.dumps(doc, indent=1, ensure_ascii=False))
        return 0
    print(
        f"Plan for {plan.target:g} of {plan.commodity} on {plan.scenario} ({plan.year}): "
        f"{plan.served:.2f} served, expansions cost {plan.total_cost_musd:,.0f} MUSD ({plan.solver_status})"
    )
    for _, r in plan.expansions.iterrows():
        print(
            f"  + {r['added']:8.2f} {r['capacity_unit']:<6} {r['id']:<34} {r['capacity_before']:.2f} → "
            f"{r['capacity_after']:.2f}  {r['cost_musd']:>8,.0f} MUSD  util {r['utilization_after']:.0%}  "
            f"{one_line(r['name'])} ({r['cost_basis']})"
        )
    if len(plan.planned_in_use):
        print("Assets already planned by then that the plan uses:")
        for _, r in plan.planned_in_use.iterrows():
            print(f"    {one_line(r['name'])} ({r['status']}, {r['start_year']}): {r['flow']:.2f}")
    if plan.served < plan.target - 1e-6:
        print(f"NOT REACHED: {plan.target - plan.served:.2f} cannot be carried by any expansion (no route).")
        return 1
    return 0


@command(
    "export",
    "Write a scenario's results as GeoJSON (RFC 7946), GeoPackage (styled for QGIS), CSV or a Markdown report.",
    "corridor export --scenario baseline-2024 --format gpkg -o out/baseline-2024.gpkg",
)
def _export_args(p: argparse.ArgumentParser) -> None:
    from corridor.export import FORMATS

    _scenario_args(p)
    p.add_argument("--format", required=True, choices=tuple(FORMATS), help="output format")
    p.add_argument(
        "-o", "--output", type=Path, default=None, metavar="PATH", help="output file (default: out/<scenario>.<ext>)"
    )
    p.add_argument(
        "--threshold", type=float, default=None, help="utilisation that flags a bottleneck (default: the scenario's)"
    )
    p.add_argument(
        "--layers",
        default="combined",
        choices=("combined", "separate"),
        help="GeoJSON: one file, or <stem>.nodes.geojson and <stem>.edges.geojson (default: combined)",
    )
    p.add_argument("--criticality", action="store_true", help="also run N-1 and add each asset's criticality rank")
    p.add_argument(
        "--uncertainty",
        type=int,
        default=None,
        metavar="N",
        help="also sample the estimates' ranges N times (seed 0) and add each asset's p_binding and percentiles",
    )
    p.add_argument(
        "--throughput",
        action="store_true",
        help="also compute the freight throughput from the Chinese border to the western gateways and mark its cut",
    )


@_export_args.handler
def _export(args: argparse.Namespace) -> int:
    from corridor.export import FORMATS, check_output, export
    from corridor.results import analyze

    output = args.output or Path("out") / f"{_stem(str(args.scenario))}.{FORMATS[args.format]}"
    check_output(output, geodata=args.geodata)  # fail fast, before the analysis
    run = analyze(args.scenario, geodata=args.geodata, method=args.method, threshold=args.threshold)
    options: dict = {"layers": args.layers} if args.format == "geojson" else {}
    if args.uncertainty is not None:
        from corridor.analyses.uncertainty import uncertainty, with_uncertainty

        _at_least(args.uncertainty, "--uncertainty", 1)
        doc = uncertainty(run.geodata, run.scenario, samples=args.uncertainty, seed=0, progress=not args.quiet)
        run = with_uncertainty(run, doc)
    if args.criticality:
        from corridor.analyses.criticality import criticality

        options["criticality"] = criticality(run.geodata, run.scenario)
    if args.throughput:
        from corridor.analyses.throughput import max_throughput

        options["throughput"] = max_throughput(
            run.geodata, run.scenario, sources=_ids(CHINA_BORDER), sinks=_live_gateways(run.geodata, run.scenario)
        )
    for written in export(run, args.format, output, **options):
        print(f"wrote {written} ({written.stat().st_size:,} bytes)")
    return 0


def _stem(scenario: str) -> str:
    from corridor._output import slug

    return slug(Path(scenario).stem if scenario.endswith(".toml") else Path(scenario).name, default="scenario")


@command(
    "map",
    "Write the interactive, offline map of a scenario's flows and bottlenecks (one self-contained HTML file).",
    "corridor map --scenario target-2030 --compare baseline-2024",
)
def _map_args(p: argparse.ArgumentParser) -> None:
    from corridor.render.maps import TILES

    p.add_argument("--scenario", default="baseline-2024", help="scenario (default: baseline-2024)")
    p.add_argument(
        "--method",
        default="system-optimal",
        choices=("system-optimal", "aon", "equilibrium"),
        help="assignment method (default: system-optimal)",
    )
    p.add_argument("--compare", default=None, metavar="SCENARIO", help="a second scenario to compare with")
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        metavar="PATH",
        help="HTML file to write (default: maps/<scenario>.html or maps/<scenario>-vs-<compare>.html)",
    )
    p.add_argument(
        "--tiles",
        default="none",
        choices=TILES,
        help="none (default): bundled country outlines, works offline; online: add OpenStreetMap tiles as an option",
    )
    p.add_argument(
        "--timeline",
        default=None,
        metavar="FIRST:LAST",
        help="one solve per year (the scenario with its year set to each) and a year slider, e.g. 2024:2035",
    )


@_map_args.handler
def _map(args: argparse.Namespace) -> int:
    from corridor._output import check_output
    from corridor.render.maps import parse_years, timeline, write_map
    from corridor.results import analyze

    years = parse_years(args.timeline) if args.timeline else None
    if years and args.compare:
        raise ArgumentError("a map shows a timeline or a comparison, not both (fix: drop --compare or --timeline)")
    output = args.output
    if output is None:
        name = _stem(str(args.scenario)) + (f"-vs-{_stem(str(args.compare))}" if args.compare else "")
        name += f"-{years[0]}-{years[-1]}" if years else ""
        output = Path("maps") / f"{name}.html"
    check_output(output, geodata=args.geodata)  # fail fast, before the analysis (write_map checks again)
    data = load_geodata(args.geodata)
    run = analyze(args.scenario, geodata=data, method=args.method)
    other = analyze(args.compare, geodata=data, method=args.method) if args.compare else None
    runs = timeline(run, years) if years else None
    print(write_map(run, output, compare=other, tiles=args.tiles, years=runs))
    return 0


@command(
    "uncertainty",
    "Monte Carlo over the estimates' ranges: how likely each asset is the bottleneck.",
    "corridor uncertainty --scenario target-2030 --samples 2000 --seed 1",
)
def _uncertainty_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scenario", default="baseline-2024", help="scenario (default: baseline-2024)")
    p.add_argument("--samples", type=int, default=256, help="samples (with --sensitivity: the base N; default: 256)")
    p.add_argument("--seed", type=int, default=0, help="seed of the design: the same seed, the same result")
    p.add_argument(
        "--sampler",
        default="lhs",
        choices=("lhs", "sobol", "random"),
        help="design: lhs (default; a Latin hypercube of all N samples: the same seed and N give the same result on "
        "every backend, but its rows change with N), sobol (scrambled, seeded: sample i depends only on the seed "
        "and i, so a longer run extends a shorter one) or random (likewise)",
    )
    p.add_argument(
        "--distribution", default="triangular", choices=("triangular", "uniform"), help="(default: triangular)"
    )
    p.add_argument("--workers", type=int, default=1, help="local worker processes, or the LocalCluster's (default: 1)")
    p.add_argument(
        "--scheduler",
        default=None,
        help="run on Dask: a scheduler address tcp://host:8786, or 'local' for a LocalCluster of --workers "
        "processes (needs corridor[dask])",
    )
    p.add_argument(
        "--sensitivity",
        action="store_true",
        help="also Sobol indices of the served freight (SALib; runs N·(2D+2) samples for D parameters)",
    )
    p.add_argument("--top", type=int, default=15, help="how many assets the table lists (default: 15)")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument("--list", action="store_true", help="list the uncertain parameters and their sources, and exit")
    p.add_argument(
        "--map",
        action="store_true",
        help="also write the map with a layer of each asset's probability of being binding "
        "(maps/<scenario>-uncertainty.html)",
    )


@_uncertainty_args.handler
def _uncertainty(args: argparse.Namespace) -> int:
    from corridor.analyses.uncertainty import list_parameters, uncertainty
    from corridor.io.scenario import load_scenario
    from corridor.results import dumps

    data = load_geodata(args.geodata)
    sc = load_scenario(args.scenario, data)
    if args.list:
        params = list_parameters(data, sc, distribution=args.distribution)
        if args.json:
            print(dumps({"scenario": sc.name, "parameters": params.drop(columns="layer").to_dict("records")}), end="")
            return 0
        print(f"Scenario {one_line(sc.name)} ({sc.year}): {len(params)} uncertain parameters ({args.distribution})")
        print(f"{'parameter':<44}{'field':<11}{'low':>9}{'central':>9}{'high':>9} {'unit':<9} source")
        for r in params.itertuples(index=False):
            print(
                f"{one_line(r.id)[:43]:<44}{r.field:<11}{r.low:>9.3g}{r.central:>9.3g}{r.high:>9.3g} "
                f"{one_line(r.unit)[:8]:<9} {one_line(r.source_url)}"
            )
        return 0
    _at_least(args.samples, "--samples", 1)
    _at_least(args.workers, "--workers", 1)
    _at_least(args.top, "--top", 0)
    output = Path("maps") / f"{_stem(str(args.scenario))}-uncertainty.html"
    if args.map:
        from corridor._output import check_output

        check_output(output, geodata=args.geodata)  # fail fast, before the sampling
    doc = uncertainty(
        data,
        sc,
        samples=args.samples,
        seed=args.seed,
        sampler=args.sampler,
        distribution=args.distribution,
        workers=args.workers,
        scheduler=args.scheduler,
        sensitivity=args.sensitivity,
        progress=not args.quiet,
    )
    if args.map:
        from corridor.render.maps import Overlay, write_map
        from corridor.results import analyze

        odds = Overlay(
            f"Probability of being binding ({doc['samples']} samples)",
            {a["id"]: a["p_binding"] for a in doc["assets"]},
            label="P(binding)",
        )
        written = write_map(analyze(sc.path, geodata=data), output, overlays=[odds])
        print(f"map: {written}", file=sys.stderr if args.json else sys.stdout)
    if args.json:
        print(dumps(doc), end="")
        return 0
    print(
        f"Scenario {one_line(doc['scenario'])} ({doc['year']}): {doc['samples']} samples of {doc['parameters']} "
        f"uncertain parameters ({doc['sampler']}, seed {doc['seed']}; {doc['backend']})"
    )
    print(f"{'#':>3} {'asset':<44}{'P(binding)':>11}{'P(bneck)':>9}{'util p05/p50/p95':>20}{'price p50/p95':>19}  unit")
    for i, r in enumerate(doc["assets"][: args.top], 1):
        util = f"{r['utilization_p05']:.2f}/{r['utilization_p50']:.2f}/{r['utilization_p95']:.2f}"
        price = f"{r['shadow_price_p50']:,.1f}/{r['shadow_price_p95']:,.1f}"
        print(
            f"{i:>3} {one_line(r['name'])[:43]:<44}{r['p_binding']:>11.2f}{r['p_bottleneck']:>9.2f}{util:>20}"
            f"{price:>19}  {one_line(r['shadow_price_unit'] or '')}"
        )
    print("Corridor demand, p05 / p50 / p95:")
    for c, t in doc["totals"].items():
        print(
            f"  {c:<12} served {t['served_p05']:.2f} / {t['served_p50']:.2f} / {t['served_p95']:.2f}   "
            f"diverted {t['diverted_p05']:.2f} / {t['diverted_p50']:.2f} / {t['diverted_p95']:.2f}"
        )
    for r in doc.get("sensitivity", [])[: args.top]:
        print(f"  Sobol {one_line(r['parameter'])[:50]:<51} S1 {r['S1']:.3f}  ST {r['ST']:.3f}")
    return 0
