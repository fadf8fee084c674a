"""Checks of the arguments of the public functions: a wrong type or value is one clear
:class:`~corridor._errors.ArgumentError` at the boundary, not a bare ``TypeError`` deep inside or a
silently wrong answer (``sources="alashankou"`` read as the letters a, l, a, …).

Messages name the parameter of the function, never a command-line flag.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Iterable
from typing import Any

from corridor._errors import ArgumentError, ArgumentTypeError

__all__ = ["id_list", "instance", "integer", "number", "path_like"]


def _type(value: Any) -> str:
    return type(value).__name__


def path_like(value: Any, name: str, *, optional: bool = False) -> None:
    """``value`` is a str or os.PathLike (or None when ``optional``), not empty, without NUL characters."""
    if value is None and optional:
        return
    if not isinstance(value, str | os.PathLike):
        raise ArgumentTypeError(
            f"{name} must be a str or os.PathLike{' or None' if optional else ''}, not {_type(value)}"
        )
    text = os.fspath(value)
    if isinstance(text, bytes) or not text or "\0" in text:
        raise ArgumentError(f"{name} {text!r} is not a usable path (empty, bytes or with a NUL character)")


def instance(value: Any, cls: type | tuple[type, ...], name: str, what: str) -> None:
    """``value`` is an instance of ``cls`` (``what`` says what it should be, e.g. 'a Geodata from load_geodata')."""
    if not isinstance(value, cls):
        raise ArgumentTypeError(f"{name} must be {what}, not {_type(value)}")


def integer(value: Any, name: str, *, minimum: int) -> int:
    """``value`` is an int (not a bool, not a str) >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ArgumentTypeError(f"{name} must be an int, not {_type(value)} ({value!r})")
    if value < minimum:
        raise ArgumentError(f"{name} must be >= {minimum}, not {value}")
    return int(value)


def number(
    value: Any,
    name: str,
    *,
    low: float,
    high: float,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """``value`` is a finite real number in the interval from ``low`` to ``high`` (open where said)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ArgumentTypeError(f"{name} must be a number, not {_type(value)} ({value!r})")
    x = float(value)
    inside = math.isfinite(x) and (x > low if low_open else x >= low) and (x < high if high_open else x <= high)
    if not inside:
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ArgumentError(f"{name} must be a finite number in {interval}, not {value!r}")
    return x


def id_list(value: Any, name: str) -> list[str]:
    """A non-empty list (or other iterable) of id strings; a bare string is refused, not read letter by letter."""
    if isinstance(value, str | bytes):
        raise ArgumentTypeError(f"{name} must be a list of ids, not a single string: write [{value!r}]")
    if not isinstance(value, Iterable):
        raise ArgumentTypeError(f"{name} must be a list of ids, not {_type(value)}")
    ids = list(value)
    bad = [v for v in ids if not isinstance(v, str)]
    if bad:
        raise ArgumentTypeError(f"{name} must hold id strings, not {_type(bad[0])} ({bad[0]!r})")
    if not ids:
        raise ArgumentError(f"{name} is empty: give one or more node ids")
    return ids
