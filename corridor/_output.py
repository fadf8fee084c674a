"""Where outputs may go, and the one atomic writer every output uses (the exports and the map).

- :func:`check_output` refuses a target in the bundled geodata folder, over a file of the input
  geodata, on a folder, or on anything but a regular file (a character device such as
  ``/dev/null``, a FIFO, a socket, or a symlink to one of these): outputs are regular files only.
- :func:`atomic_write` writes to a temporary file beside the target and moves it over the target
  only when complete, so a failure or a kill never leaves a half-written file. Temporary files are
  named ``.<name>.corridor-tmp-<pid>-<random><suffix>``; the next write to the same target removes
  those whose process is gone (a killed run's leftovers).
- :func:`slug` turns a name taken from the data (a scenario's ``name``) into a safe file name, so
  that ``../../x`` or ``/etc/x`` stays a file under the output folder.
"""

from __future__ import annotations

import glob
import os
import re
import secrets
import stat
from collections.abc import Callable
from pathlib import Path

from corridor._errors import ArgumentError, ArgumentTypeError, OutputError

__all__ = ["TEMP_MARK", "atomic_write", "check_output", "remove_stale_temps", "slug", "temp_path"]

#: Marks the temporary files of :func:`atomic_write` (``.<name>.corridor-tmp-<pid>-<random><suffix>``).
TEMP_MARK = ".corridor-tmp-"
_TEMP_PID = re.compile(re.escape(TEMP_MARK) + r"(\d+)-")
_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")


def slug(name: object, *, default: str = "output") -> str:
    """A file-name-safe form of ``name``: letters, digits, ``.``, ``_``, ``+``, ``-``; never a path.

    Runs of other characters (``/``, ``\\``, spaces, control characters, …) become one ``-``;
    leading dots and hyphens are dropped (no hidden files, no ``..``). Empty results give ``default``.
    ``slug("baseline-2024") == "baseline-2024"``; ``slug("../../x") == "x"``.
    """
    text = _UNSAFE.sub("-", str(name)).strip(".-")
    text = re.sub(r"\.{2,}", ".", text)[:120].strip(".-")
    return text or default


def _bundled() -> Path:
    from corridor.io.geodata import DEFAULT_GEODATA

    return DEFAULT_GEODATA.resolve()


def check_output(path: str | os.PathLike[str], *, geodata: str | os.PathLike[str] | None = None) -> Path:
    """Raise :class:`OutputError` (one line) unless ``path`` is a place an output may be written.

    Parameters
    ----------
    path
        The file to write.
    geodata
        The input geodata (folder or GeoPackage) of the run: its files are never overwritten.

    Returns
    -------
    Path
        ``path`` as a :class:`~pathlib.Path`.
    """
    if not isinstance(path, str | os.PathLike):
        raise ArgumentTypeError(f"the output path must be a str or os.PathLike, not {type(path).__name__}")
    if not str(path) or "\0" in str(path):
        raise ArgumentError(f"the output path {str(path)!r} is empty or holds a NUL character")
    out = Path(path)
    target = Path(os.path.abspath(out)).resolve()
    bundled = _bundled()
    if target == bundled or bundled in target.parents:
        raise OutputError(
            f"{out}: refusing to write into the bundled geodata folder {bundled} "
            "(fix: choose an output outside it, e.g. out/<scenario>.<ext>)"
        )
    if geodata is not None:
        source = Path(os.path.abspath(geodata)).resolve()
        protected = (
            target == source
            if source.is_file()
            else target.exists() and target.parent in (source, source / "scenarios")
        )
        if protected:
            raise OutputError(
                f"{out}: refusing to overwrite a file of the input geodata {source} (fix: write the output elsewhere)"
            )
    try:
        info = os.stat(target)
    except FileNotFoundError:
        return out
    except OSError as exc:
        raise OutputError(f"{out}: cannot check the output ({exc.strerror}) (fix: choose another path)") from None
    if stat.S_ISDIR(info.st_mode):
        raise OutputError(f"{out}: is a folder (fix: give a file name inside it, e.g. {out}/output{out.suffix})")
    if not stat.S_ISREG(info.st_mode):
        kind = (
            "a character device"
            if stat.S_ISCHR(info.st_mode)
            else "a block device"
            if stat.S_ISBLK(info.st_mode)
            else "a FIFO"
            if stat.S_ISFIFO(info.st_mode)
            else "a socket"
            if stat.S_ISSOCK(info.st_mode)
            else "not a regular file"
        )
        via = f" (through the symlink {out})" if out.is_symlink() else ""
        raise OutputError(
            f"{out}: refusing to write: it is {kind}{via}; outputs are written to regular files only "
            "(fix: give the path of a new or existing regular file)"
        )
    return out


def temp_path(path: Path) -> Path:
    """A temporary file beside ``path``, named for :func:`remove_stale_temps` (the suffix is kept for GDAL)."""
    return path.with_name(f".{path.name}{TEMP_MARK}{os.getpid()}-{secrets.token_hex(4)}{path.suffix}")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process: it exists
        return True
    return True


def remove_stale_temps(path: Path) -> list[Path]:
    """Remove the temporary files an interrupted write to ``path`` left behind (their process is gone)."""
    removed = []
    for name in glob.glob(glob.escape(str(path.parent / f".{path.name}{TEMP_MARK}")) + "*"):
        leftover = Path(name)
        match = _TEMP_PID.search(leftover.name[len(path.name) + 1 :])
        if match is None or _alive(int(match.group(1))):
            continue
        if leftover.is_symlink() or not leftover.is_file():
            continue
        try:
            leftover.unlink()
        except OSError:
            continue
        removed.append(leftover)
    return removed


def atomic_write(
    path: str | os.PathLike[str],
    write: Callable[[Path], None],
    *,
    geodata: str | os.PathLike[str] | None = None,
) -> Path:
    """Check ``path`` (:func:`check_output`), run ``write(tmp)`` on a temporary file beside it, move it over ``path``.

    On any failure the temporary file (and any SQLite side file) is removed and the old ``path``, if
    any, is left as it was. An operating-system error (no permission, a file where a folder should
    be, a full disk) is raised as one-line :class:`OutputError`.
    """
    out = check_output(path, geodata=geodata)
    tmp = temp_path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(out)
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except BaseException as exc:
        for leftover in (tmp, *(tmp.with_name(tmp.name + s) for s in ("-journal", "-wal", "-shm"))):
            try:
                leftover.unlink(missing_ok=True)
            except OSError:
                pass
        if isinstance(exc, OSError):
            reason = exc.strerror or str(exc)
            where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
            raise OutputError(f"{out}: cannot write{where}: {reason} (fix: choose a writable path)") from None
        raise
    return out
