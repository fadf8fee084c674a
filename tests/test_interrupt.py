"""Ctrl-C: a long computation stops within about a second, with one line and exit code 130, and the N-1 worker
threads print nothing (issue #17).

The signal goes to the whole process group, as a terminal's Ctrl-C does. No fixed sleeps decide the timing:
the command is interrupted once it is known to be inside the N-1 loop (a marker file written on entry) or,
with worker threads, once their copies of the master exist (written when the last copy is made).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import REPO
from .netbuild import make_geodata

#: Runs ``corridor ARGV`` and touches the marker file when the N-1 loop starts (``n_minus_1``) or when a copy
#: of the master is made for a worker thread (``clone``).
WRAPPER = """
import sys
from pathlib import Path

import corridor.analyses.criticality
from corridor.cli import main
from corridor.solve.master import MasterLP

crit = sys.modules["corridor.analyses.criticality"]  # the package's attribute of that name is the function
marker, hook = Path(sys.argv[1]), sys.argv[2]
original_n_minus_1, original_clone = crit.n_minus_1, MasterLP.clone


def n_minus_1(*args, **kwargs):
    if hook == "n_minus_1":
        marker.touch()
    return original_n_minus_1(*args, **kwargs)


def clone(self):
    twin = original_clone(self)
    if hook == "clone":
        marker.touch()
    return twin


crit.n_minus_1, MasterLP.clone = n_minus_1, clone
sys.exit(main(sys.argv[3:]))
"""


@pytest.fixture(scope="module")
def grid(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 14 x 14 grid (364 edges) with 28 demands across it: N-1 re-solves ~350 assets, tens of seconds."""
    n = 14
    folder = tmp_path_factory.mktemp("grid") / "geodata"
    nodes = {f"n{i}-{j}": (i * 0.5, j * 0.5) for i in range(n) for j in range(n)}
    edges = []
    for i in range(n):
        for j in range(n):
            if i < n - 1:
                edges.append({"id": f"h{i}-{j}", "a": f"n{i}-{j}", "b": f"n{i + 1}-{j}", "capacity": 3.0 + (i * j) % 4})
            if j < n - 1:
                edges.append({"id": f"v{i}-{j}", "a": f"n{i}-{j}", "b": f"n{i}-{j + 1}", "capacity": 3.0 + (i + j) % 3})
    make_geodata(folder, nodes, edges)
    pairs = [(f"n0-{k}", f"n{n - 1}-{k * 7 % n}") for k in range(n)]
    pairs += [(f"n{k}-0", f"n{k * 5 % n}-{n - 1}") for k in range(n)]
    (folder / "scenarios").mkdir()
    (folder / "scenarios" / "grid.toml").write_text(
        'name = "grid"\nyear = 2024\n'
        + "".join(
            f'\n[[demand]]\norigin = "{o}"\ndestination = "{d}"\ncommodity = "freight"\namount = 4.0\n'
            for o, d in pairs
        ),
        encoding="utf-8",
    )
    return folder


def _workers(pid: int) -> list[int]:
    """The child processes of ``pid`` that are multiprocessing workers."""
    try:
        children = [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    out = []
    for child in children:
        try:
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                out.append(child)
        except OSError:
            continue
    return out


def _wait(condition, what: str, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.mark.parametrize("jobs", [1, 2])
def test_ctrl_c_stops_criticality_with_one_line_and_exit_130(grid: Path, tmp_path: Path, jobs: int) -> None:
    marker = tmp_path / "in-n-1"
    argv = ["criticality", "--geodata", str(grid), "--scenario", "grid", "--jobs", str(jobs)]
    hook = "n_minus_1" if jobs == 1 else "clone"  # with 2 jobs: once the worker threads have their copies
    proc = subprocess.Popen(
        [sys.executable, "-c", WRAPPER, str(marker), hook, *argv],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, so that the test can send a terminal-like Ctrl-C
    )
    try:
        _wait(lambda: marker.exists() or proc.poll() is not None, "the N-1 loop")
        time.sleep(0.3)  # well inside the computation (it runs for tens of seconds)
        assert proc.poll() is None, f"the computation ended before it could be interrupted: {proc.stderr.read()}"
        os.killpg(proc.pid, signal.SIGINT)
        sent = time.monotonic()
        out, err = proc.communicate(timeout=60)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert err == "corridor: interrupted\n", err  # one line: no traceback from the main thread or a worker
    assert proc.returncode == 130
    assert "Traceback" not in out
    assert took < 5.0, took  # about a second; the margin is for a loaded machine
