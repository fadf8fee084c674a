"""Error types. Every message is one line naming the file, the feature, the field and the fix."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "ArgumentError",
    "ArgumentTypeError",
    "CorridorError",
    "FieldError",
    "FileFormatError",
    "GeometryError",
    "OutputError",
    "ReferenceError_",
    "ScenarioError",
    "SolverError",
    "ValidationError",
    "ValidationErrors",
    "did_you_mean",
    "printable",
]


def did_you_mean(ref: str, known: Iterable[object], otherwise: str) -> str:
    """A fix hint: the closest known id (``did you mean 'x'?``), else ``otherwise``."""
    import difflib

    close = difflib.get_close_matches(str(ref), sorted(str(k) for k in known), n=1)
    return f"did you mean '{close[0]}'?" if close else otherwise


def printable(text: str) -> str:
    """``text`` on one line and safe to print: line breaks become spaces; other control characters and lone
    surrogates (which no UTF-8 stream can carry) become ``\\x..``/``\\ud...`` escapes."""
    out = []
    for ch in str(text):
        code = ord(ch)
        if ch in "\r\n":
            out.append(" ")
        elif code < 0x20 or code == 0x7F or 0xD800 <= code <= 0xDFFF:
            out.append(ch.encode("unicode_escape").decode("ascii") if code < 0xD800 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


class CorridorError(Exception):
    """Base of every error the package raises on bad input (the CLI exits 2 on these)."""


class ArgumentError(CorridorError, ValueError):
    """A function of the Python API was called with a value it cannot use (e.g. ``jobs=0``).

    Also a :class:`ValueError`, so code that catches the built-in keeps working.
    """


class ArgumentTypeError(ArgumentError, TypeError):
    """A function of the Python API was called with an argument of the wrong type (e.g. ``jobs="2"``).

    Also a :class:`TypeError`.
    """


class OutputError(CorridorError):
    """An output cannot be written where asked (bundled or input data, a folder, a device, no permission)."""


class SolverError(CorridorError):
    """The solver did not reach an optimum (e.g. an unbounded or infeasible LP): no answer to report.

    ``status`` is the solver's own word for how it ended (e.g. ``"Unbounded"``), where known.
    """

    def __init__(self, message: str, *, status: str = "") -> None:
        self.status = status
        super().__init__(message)


class ValidationError(CorridorError):
    """A problem in the geodata.

    Parameters
    ----------
    problem
        What is wrong, in a few words.
    file, feature, field
        Where: the file, the feature id and the field (each optional).
    fix
        How to fix it.
    """

    def __init__(
        self,
        problem: str,
        *,
        file: str | None = None,
        feature: str | None = None,
        field: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.problem = problem
        self.file = file
        self.feature = feature
        self.field = field
        self.fix = fix
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [self.file or "<geodata>"]
        if self.feature is not None:
            where.append(f"feature '{self.feature}'")
        if self.field is not None:
            where.append(f"field '{self.field}'")
        text = ": ".join([", ".join(where), self.problem])
        if self.fix:
            text += f" (fix: {self.fix})"
        return printable(text)


class FileFormatError(ValidationError):
    """The file is missing, is not JSON or not a GeoJSON FeatureCollection."""


class GeometryError(ValidationError):
    """A geometry is of the wrong type, empty, out of range, swapped or projected."""


class FieldError(ValidationError):
    """An attribute is missing, of the wrong type, out of range or not allowed."""


class ReferenceError_(ValidationError):
    """An id is duplicated, or a reference names no feature."""


class ScenarioError(ValidationError):
    """A scenario file is malformed or names something the network does not have."""


class ValidationErrors(CorridorError):
    """Several problems found at once (non-strict validation)."""

    def __init__(self, errors: list[ValidationError]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} problem(s) in the geodata; first: {errors[0]}")
