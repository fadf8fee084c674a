"""The results object: one Analysis with the frames, the document, a notebook summary and an offline map."""

from __future__ import annotations

import dataclasses
import html
import re

import pytest

import corridor
from corridor.results import Analysis

REMOTE = re.compile(r"<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.IGNORECASE)


@pytest.fixture(scope="module")
def run() -> Analysis:
    return corridor.analyze("baseline-2024")


def test_frames_and_document_agree(run: Analysis) -> None:
    assert run.to_document() is run.document
    assert list(run.bottlenecks["id"]) == [b["id"] for b in run.document["bottlenecks"]]  # worst first, as the CLI
    assert run.threshold == run.document["provenance"]["bottleneck_threshold"]
    assert run.provenance["data_version"] == run.document["provenance"]["data_version"]
    for commodity, row in run.totals.iterrows():
        assert row["served"] == pytest.approx(run.document["totals"][commodity]["served"], abs=1e-6)


def test_notebook_summary_escapes_the_data(run: Analysis) -> None:
    hostile = "<img src=x onerror=alert(1)>"
    doc = {**run.document, "scenario": hostile}
    text = dataclasses.replace(run, document=doc)._repr_html_()
    assert hostile not in text and html.escape(hostile) in text
    assert "bottleneck" in text and "served" in text


def test_map_displays_inline_offline(run: Analysis) -> None:
    m = run.map()
    shown = html.unescape(m._repr_html_())
    assert shown.startswith("<iframe srcdoc=") and 'id="corridor-data"' in shown
    assert REMOTE.findall(shown) == []  # every script inline: it works in a notebook with no internet
