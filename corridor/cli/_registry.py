"""The registry of subcommands: ``corridor.cli.commands`` registers into it, ``corridor.cli`` reads it.

Kept apart so that the two import one way only (commands → registry ← cli).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

#: Exit status of a command refused for bad input (any :class:`corridor.CorridorError`).
EXIT_BAD_INPUT = 2

Handler = Callable[[argparse.Namespace], int]
_COMMANDS: dict[str, tuple[str, str, Callable[[argparse.ArgumentParser], None], Handler]] = {}


def command(name: str, help: str, example: str) -> Callable[[Callable[[argparse.ArgumentParser], None]], Callable]:
    """Register a subcommand: the decorated function adds its arguments; ``handler`` runs it."""

    def register(add_args: Callable[[argparse.ArgumentParser], None]) -> Callable:
        def bind(handler: Handler) -> Handler:
            _COMMANDS[name] = (help, example, add_args, handler)
            return handler

        add_args.handler = bind  # type: ignore[attr-defined]
        return add_args

    return register
