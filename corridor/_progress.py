"""Progress bars for work that takes more than a moment (N-1, Monte Carlo, timelines).

A tqdm bar with an ETA on stderr, shown only when stderr is a terminal, messages are not silenced (``-q``) and the
work has lasted two seconds; otherwise nothing at all, so pipes, logs and tests see no carriage returns.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable, Iterator

__all__ = ["progress"]

#: Seconds of work before a bar appears.
DELAY_S = 2.0


@contextlib.contextmanager
def progress(total: int, *, unit: str, desc: str = "") -> Iterator[Callable[[int], object]]:
    """Yield ``advance(n)``, which moves a progress bar of ``total`` steps on by ``n``.

    Parameters
    ----------
    total : int
        Steps in all.
    unit : str
        What a step is, e.g. ``"asset"`` or ``"sample"``.
    desc : str
        A label in front of the bar.

    Yields
    ------
    callable
        ``advance(n)``; a no-op when no bar is shown.

    Examples
    --------
    >>> with progress(3, unit="step") as advance:  # stderr is not a terminal here: no bar
    ...     for _ in range(3):
    ...         _ = advance(1)
    """
    stream = getattr(sys.stderr, "raw", sys.stderr)  # past the CLI's filter, which drops carriage returns
    quiet = logging.getLogger("corridor").getEffectiveLevel() > logging.WARNING
    isatty = getattr(stream, "isatty", lambda: False)
    if quiet or total <= 0 or not isatty():
        yield lambda n=1: None
        return
    from tqdm import tqdm

    with tqdm(total=total, unit=unit, desc=desc or None, file=stream, leave=False, delay=DELAY_S) as bar:
        yield bar.update
