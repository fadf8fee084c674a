"""The command line's own options: -v/-q (library messages through logging) and a terminal-safe progress bar."""

from __future__ import annotations

import io

import pytest

from corridor.cli import _TerminalSafe, main


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["analyze"], False),
        (["-v", "analyze"], True),
        (["analyze", "-v"], True),
        (["-q", "analyze", "-v"], False),  # quiet wins
        (["analyze", "-q"], False),
    ],
)
def test_verbose_and_quiet(args: list[str], said: bool, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 0
    err = capsys.readouterr().err
    assert ("corridor: read" in err and "system-optimal on" in err) == said, err


def test_terminal_safe_stream_keeps_our_carriage_returns() -> None:
    out = io.StringIO()
    safe = _TerminalSafe(out)
    safe.write("data\r\x1b[2Jname\n")
    safe.raw.write("\rN-1 [###] 3/3")
    assert out.getvalue() == "dataname\n\rN-1 [###] 3/3"
