"""Shared fixtures."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .browser import Page

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def valid_dir(tmp_path: Path) -> Path:
    """A writable copy of the tiny valid geodata (see tests/data/make_corpus.py)."""
    out = tmp_path / "geodata"
    shutil.copytree(DATA / "valid", out)
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    exe = shutil.which("chromium")
    assert exe is not None, "Debian chromium is not installed: run `apt-get install chromium` (bash .ci/run does)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    opened: list[Page] = []

    def opener(path: Path) -> Page:
        opened.append(Page(browser, path))
        return opened[-1]

    yield opener
    for pg in opened:
        pg.close()
