"""The subcommands of ``corridor``; each is a few lines over the Python API."""

from __future__ import annotations

import argparse

from .cli import command
from .geodata import load_geodata


@command(
    "validate", "Check the geodata against the schema; list every problem.", "corridor validate --geodata geodata/"
)
def _validate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--strict", action="store_true", help="stop at the first problem instead of listing all")


@_validate_args.handler
def _validate(args: argparse.Namespace) -> int:
    data = load_geodata(args.geodata, strict=args.strict)
    print(f"{data.path}: {len(data.nodes)} nodes and {len(data.edges)} edges are valid")
    return 0


@command("schema", "Print the node and edge fields as Markdown (the README's data section).", "corridor schema")
def _schema_args(p: argparse.ArgumentParser) -> None:
    pass


@_schema_args.handler
def _schema(args: argparse.Namespace) -> int:
    from .schema import markdown_table

    print("### Nodes\n\n" + markdown_table("nodes") + "\n\n### Edges\n\n" + markdown_table("edges"))
    return 0


def _scenario_args(p: argparse.ArgumentParser, *, methods: tuple[str, ...] = ("aon", "system-optimal")) -> None:
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


@_analyze_args.handler
def _analyze(args: argparse.Namespace) -> int:
    from .pipeline import analyze
    from .report import dumps, text_report

    run = analyze(args.scenario, geodata=args.geodata, method=args.method, threshold=args.threshold)
    print(dumps(run.document) if args.json else text_report(run.document, top=args.top), end="" if args.json else "\n")
    return 0
