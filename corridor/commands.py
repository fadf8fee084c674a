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
