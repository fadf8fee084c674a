"""Shared fixtures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def valid_dir(tmp_path: Path) -> Path:
    """A writable copy of the tiny valid geodata (see tests/data/make_corpus.py)."""
    out = tmp_path / "geodata"
    shutil.copytree(DATA / "valid", out)
    return out
