"""The README's Python example runs as written."""

from __future__ import annotations

import re

from .conftest import REPO


def test_python_api_example_runs():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    code = re.search(r"## Python API\n\n```python\n(.*?)```", readme, re.S)
    assert code is not None, "README lost its Python API example"
    namespace: dict = {}
    exec(compile(code.group(1), "README.md", "exec"), namespace)
    assert namespace["run"].scenario.name == "target-2030"
