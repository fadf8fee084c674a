"""Build hook: the wheel carries the compiled shortest-path kernels (numba's cache of generic x86-64 code).

Everything else about the build is in pyproject.toml. After the usual ``build_py``, the kernels of
``corridor.solve.kernels`` are compiled once with ``NUMBA_CPU_NAME=generic`` in the build tree, and numba's
cache files (``corridor/solve/__pycache__/*.nbi``, ``*.nbc``) go into the wheel with the code: an installed
``corridor`` loads them instead of compiling for about 8 s on its first large problem (when the Python and
numba versions match the build's; otherwise numba compiles once and caches, as before). Editable installs
compile on first use, in the checkout.
"""

import os
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithKernels(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False) or self.dry_run:
            return
        cache = Path(self.build_lib, "corridor", "solve", "__pycache__")
        for stale in [*cache.glob("*.nbi"), *cache.glob("*.nbc")]:  # from an earlier build in the same tree
            stale.unlink()
        env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
        env.update(NUMBA_CPU_NAME="generic", PYTHONPATH=os.path.abspath(self.build_lib))
        code = "from corridor.solve.kernels import compile_all; compile_all()"
        done = subprocess.run([sys.executable, "-c", code], env=env, cwd=self.build_lib, capture_output=True, text=True)
        if done.returncode:  # the wheel still works: numba then compiles on first use, as in an editable checkout
            tail = (done.stderr.strip().splitlines() or ["no message"])[-1]
            print(f"warning: the kernels were not compiled into the wheel ({tail})", file=sys.stderr)


setup(cmdclass={"build_py": BuildPyWithKernels})
