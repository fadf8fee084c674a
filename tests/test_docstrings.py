"""The public API's docstrings: every public function has numpydoc sections, and every example runs.

The examples are doctests; this module runs those of every module of the package (not the vendored
files under ``corridor/render/vendor``). They also pass under ``python -m pytest --doctest-modules corridor``
(the option flags are in ``pyproject.toml``); here the bundled data is loaded and analysed once per
distinct call (see :func:`_once`), so the whole run stays fast.
"""

from __future__ import annotations

import ast
import doctest
import functools
import importlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import corridor

PACKAGE = Path(corridor.__file__).resolve().parent
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _sources() -> list[Path]:
    """The package's own Python files: not the vendored ones, not private folders such as ``_geodata``."""
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if "vendor" in rel.parts or any(p.startswith("_") and p != "__init__.py" for p in rel.parts[:-1]):
            continue
        out.append(path)
    return out


def _module_name(path: Path) -> str:
    parts = ("corridor", *path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = [_module_name(p) for p in _sources() if p.name != "__main__.py"]


def _once(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` computed once per distinct (hashable) arguments: the examples must not change what it returns."""
    cached = functools.cache(func)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return cached(*args, **kwargs)
        except TypeError:  # an unhashable argument (e.g. loaded geodata): compute it
            return func(*args, **kwargs)

    return wrapper


@pytest.fixture(scope="module")
def shared() -> Iterator[None]:
    """Load and analyse the bundled data once per call for all the examples (they call them many times)."""
    patch = pytest.MonkeyPatch()
    for name in ("analyze", "load_geodata"):
        patch.setattr(corridor, name, _once(getattr(corridor, name)))
    yield
    patch.undo()


@pytest.mark.parametrize("module", MODULES)
def test_examples_run(module: str, shared: None) -> None:
    mod = importlib.import_module(module)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for test in finder.find(mod, module):
        if test.examples and Path(test.filename or "").resolve().is_relative_to(PACKAGE):
            runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples of {module} failed (see above)"


def test_every_module_imports_first() -> None:
    """Each module of the package, imported first (as ``pytest --doctest-modules corridor/x.py`` does), imports:
    no cycle between the stages. One interpreter; the package is dropped from ``sys.modules`` between modules."""
    import subprocess
    import sys

    script = (
        "import importlib, sys\n"
        f"modules = {MODULES!r}\n"
        "bad = []\n"
        "for m in modules:\n"
        "    for k in [k for k in sys.modules if k == 'corridor' or k.startswith('corridor.')]:\n"
        "        del sys.modules[k]\n"
        "    try:\n"
        "        importlib.import_module(m)\n"
        "    except Exception as exc:\n"
        "        bad.append(f'{m}: {exc!r}')\n"
        "print('\\n'.join(bad))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "", run.stdout


# --------------------------------------------------------------------------- the sections


def _is_property(f: ast.FunctionDef) -> bool:
    return any(ast.unparse(d).split(".")[-1] in ("property", "cached_property", "setter") for d in f.decorator_list)


def missing_sections(path: Path) -> dict[str, str]:
    """Public functions and methods of one file lacking ``Parameters`` (P), ``Returns`` (R) or ``Examples`` (E).

    Public: not underscored, in ``__all__`` when the module has one. A function taking no arguments needs no
    ``Parameters``; one annotated ``-> None`` no ``Returns``. A property needs only a docstring (marked D if
    it has none).
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = None
    for n in tree.body:
        if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in n.targets):
            names = {e.value for e in n.value.elts}  # type: ignore[attr-defined]
    out = {}
    for n in tree.body:
        methods = [m for m in n.body if isinstance(m, ast.FunctionDef)] if isinstance(n, ast.ClassDef) else []
        for f in [n, *methods]:
            if not isinstance(f, ast.FunctionDef) or f.name.startswith("_"):
                continue
            if f is n and names is not None and f.name not in names:
                continue
            if isinstance(n, ast.ClassDef) and (n.name.startswith("_") or (names is not None and n.name not in names)):
                continue
            doc = ast.get_docstring(f) or ""
            if _is_property(f):
                need = [] if doc.strip() else ["D"]
            else:
                args = [a.arg for a in f.args.args + f.args.kwonlyargs if a.arg not in ("self", "cls")]
                need = []
                if args and "Parameters\n" not in doc:
                    need.append("P")
                returns_none = f.returns is not None and ast.unparse(f.returns) == "None"
                if "Returns\n" not in doc and "Yields\n" not in doc and not returns_none:
                    need.append("R")
                if "Examples\n" not in doc:
                    need.append("E")
            if need:
                out[f"{(n.name + '.') if f is not n else ''}{f.name}"] = "".join(need)
    return out


def _public_sources() -> list[Path]:
    """The files of the public API: not private modules (``_errors.py``), not the reserved ones."""
    out = []
    for path in _sources():
        rel = path.relative_to(PACKAGE)
        if any(p.startswith("_") and p != "__init__.py" for p in rel.parts):
            continue
        out.append(path)
    return out


@pytest.mark.parametrize("path", _public_sources(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_public_functions_have_sections(path: Path) -> None:
    missing = missing_sections(path)
    assert not missing, f"{path.relative_to(PACKAGE)}: " + ", ".join(f"{k} lacks {v}" for k, v in missing.items())


def test_finds_what_lacks() -> None:
    """The check itself: a function without sections is found, a property needs only a docstring."""
    src = '''
__all__ = ["f", "g", "C"]
def f(x):
    """Summary."""
def g() -> None:
    """Summary.

    Examples
    --------
    >>> g()
    """
class C:
    @property
    def p(self):
        """Summary."""
    @property
    def q(self):
        pass
'''
    assert missing_sections(_Source(src)) == {"f": "PRE", "C.q": "D"}  # type: ignore[arg-type]


class _Source:
    """Stands for a file in :func:`missing_sections` (it only reads the text)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def read_text(self, encoding: str = "utf-8") -> str:
        return self.text
