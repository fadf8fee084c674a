"""The ``corridor`` command line: a thin layer over the Python API."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from corridor import __version__
from corridor._errors import CorridorError, ValidationErrors, printable
from corridor.cli._registry import _COMMANDS, EXIT_BAD_INPUT, command

__all__ = ["EXIT_BAD_INPUT", "command", "main"]
_StderrHandler: type | None = None  # made on first use (logging is not imported for --help)


class _PrintDataPath(argparse.Action):
    """``--data-path``: print where the bundled geodata is (``$CORRIDOR_GEODATA`` if set) and exit."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        from corridor.io.paths import bundled_geodata

        print(bundled_geodata())
        parser.exit()


def _parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; with ``argv``, only the subcommand it names gets its arguments (some import heavy modules)."""
    wanted = None if argv is None else next((a for a in argv if not a.startswith("-")), "")
    parser = argparse.ArgumentParser(
        prog="corridor",
        description="Map and analyse the Middle Corridor (TITR) and the Caspian energy and data links.",
    )
    parser.add_argument("--version", action="version", version=f"corridor {__version__}")
    parser.add_argument(
        "--data-path",
        action=_PrintDataPath,
        help="print the folder of the bundled geodata (nodes, edges, basemap, scenarios, sources) and exit",
    )
    _chatter(parser, default=None)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (help_text, example, add_args, _) in _COMMANDS.items():
        p = sub.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=f"example:\n  {example}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if wanted is not None and name != wanted:
            continue
        p.add_argument(
            "--geodata",
            type=Path,
            default=None,
            metavar="DIR",
            help="folder (or .gpkg) with the nodes and edges to use (default: the bundled geodata/)",
        )
        _chatter(p, default=argparse.SUPPRESS)  # also after the command: `corridor analyze -v`
        add_args(p)
    return parser


def _stderr_handler_class() -> type:
    import logging

    class StderrHandler(logging.StreamHandler):
        """Writes to the ``sys.stderr`` of the moment (the terminal-safe wrapper of each run), not the first one."""

        @property  # type: ignore[override]
        def stream(self) -> TextIO:
            return sys.stderr

        @stream.setter
        def stream(self, value: TextIO) -> None:
            pass

    return StderrHandler


def _chatter(p: argparse.ArgumentParser, *, default: object) -> None:
    p.add_argument("-v", "--verbose", action="count", default=default, help="say more on stderr (-vv: debug)")
    p.add_argument("-q", "--quiet", action="store_true", default=default, help="only errors on stderr, no progress")


def _logging(verbose: int | None, quiet: bool | None) -> None:
    """Library messages (``logging``, logger ``corridor``) go to stderr as ``corridor: …`` lines."""
    import logging

    global _StderrHandler
    if _StderrHandler is None:
        _StderrHandler = _stderr_handler_class()

    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose or 0, 2)]
    logger = logging.getLogger("corridor")
    logger.setLevel(level)
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("corridor: %(message)s"))
        logger.addHandler(handler)
    logger.propagate = False


class _TerminalSafe:
    """A text stream that drops escape sequences and control characters on the way to the terminal.

    Names, notes and sources come from other people's data; printed as they are, an ANSI escape could
    rewrite the screen or a bidi override disguise a line (see :func:`corridor._untrusted.terminal_text`).
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        from corridor._untrusted import terminal_text

        self._stream.write(terminal_text(text))
        return len(text)

    @property
    def raw(self) -> TextIO:
        """The stream itself, for the program's own control characters (a progress bar's carriage return)."""
        return self._stream

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextmanager
def _terminal_safe_output() -> Iterator[None]:
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _TerminalSafe(sys.stdout), _TerminalSafe(sys.stderr)  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (0 ok, 1 a finding the command checks for, 2 bad input,
    130 interrupted by Ctrl-C: one line, ``corridor: interrupted``, no traceback).

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after ``corridor`` (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit code. Arguments argparse rejects, ``--help`` and ``--version`` exit through
        :class:`SystemExit` (code 2, 0 and 0) instead of returning.

    Examples
    --------
    >>> main(["schema"])
    ### Nodes
    ...
    | `id` | str |  | yes |  | Unique identifier: ...
    ...
    0
    """
    if "numba" not in sys.modules:  # load the compiled kernels the wheel ships (see corridor.solve.kernels.compile_all)
        os.environ.setdefault("NUMBA_CPU_NAME", "generic")
    try:
        with _terminal_safe_output():
            return _main(argv)
    except KeyboardInterrupt:
        print("corridor: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        if not _interrupted(exc):
            raise
        print("corridor: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` stands for a Ctrl-C: compiled code (numba's dispatcher, the solver's bindings) may
    wrap a ``KeyboardInterrupt`` raised inside a call in a ``SystemError``; the interrupt is in its chain."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        if isinstance(e, KeyboardInterrupt):
            return True
        seen.add(id(e))
        todo += [e.__cause__, e.__context__]
    return False


def _main(argv: Sequence[str] | None) -> int:
    from corridor.cli import commands  # noqa: F401  (registers the subcommands)

    argv = sys.argv[1:] if argv is None else list(argv)
    args = _parser(argv).parse_args(argv)
    _logging(args.verbose, args.quiet)
    try:
        return _COMMANDS[args.command][3](args)
    except BrokenPipeError:  # output piped into e.g. `head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except ValidationErrors as exc:
        for error in exc.errors:
            print(f"corridor: error: {printable(str(error))}", file=sys.stderr)
        print(f"corridor: {len(exc.errors)} problem(s) found", file=sys.stderr)
        return EXIT_BAD_INPUT
    except CorridorError as exc:
        print(f"corridor: error: {printable(str(exc))}", file=sys.stderr)
        return EXIT_BAD_INPUT
