"""Progress bars: shown on a terminal, silent in pipes and with ``-q``."""

from __future__ import annotations

import io
import logging

import pytest

from corridor import _progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _run(monkeypatch: pytest.MonkeyPatch, stream: io.StringIO, level: int) -> str:
    monkeypatch.setattr(_progress, "DELAY_S", 0.0)
    monkeypatch.setattr("sys.stderr", stream)
    monkeypatch.setattr(logging.getLogger("corridor"), "level", level)
    with _progress.progress(4, unit="asset", desc="N-1") as advance:
        for _ in range(4):
            advance(1)
    return stream.getvalue()


def test_a_terminal_gets_a_bar_with_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    out = _run(monkeypatch, _Terminal(), logging.WARNING)
    assert "N-1" in out and "/4 " in out and "asset/s" in out


def test_a_pipe_gets_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _run(monkeypatch, io.StringIO(), logging.WARNING) == ""


def test_quiet_gets_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _run(monkeypatch, _Terminal(), logging.ERROR) == ""
