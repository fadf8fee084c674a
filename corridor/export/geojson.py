"""GeoJSON (RFC 7946): one ``FeatureCollection``, or one file per layer."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from corridor._errors import CorridorError
from corridor._values import _LAYERS, _dumps, _is_scalar, _value
from corridor.export._features import _as_throughput, _atomic, _check_target, _features, _provenance, _write_lines

if TYPE_CHECKING:  # pragma: no cover
    from corridor.results import Analysis


# --------------------------------------------------------------------------- GeoJSON


def _collection_lines(provenance: dict[str, Any], features: Iterable[dict[str, Any]]) -> Iterator[str]:
    yield '{"type":"FeatureCollection","corridor":' + _dumps(provenance) + ',"features":[\n'
    first = True
    for feature in features:
        yield ("" if first else ",\n") + _dumps(feature)
        first = False
    yield ("" if first else "\n") + "]}\n"


def export_geojson(
    analysis: Analysis,
    path: str | os.PathLike[str],
    *,
    layers: str = "combined",
    criticality: pd.DataFrame | None = None,
    throughput: Any = None,
) -> list[Path]:
    """Write the nodes and edges with their results as RFC 7946 GeoJSON.

    Parameters
    ----------
    analysis
        The result of :func:`corridor.results.analyze`.
    path
        Output file. With ``layers="separate"``: ``<stem>.nodes.geojson`` and ``<stem>.edges.geojson``
        are written beside it instead.
    layers
        ``"combined"`` (one FeatureCollection, nodes then edges, each by id) or ``"separate"``.
    criticality, throughput
        Optional results of the criticality and throughput analyses: features get
        ``criticality_rank`` and ``in_cut``.

    Returns
    -------
    list[Path]
        The files written.

    Examples
    --------
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> import corridor
    >>> run = corridor.analyze("baseline-2024")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     [written] = export_geojson(run, Path(folder) / "baseline.geojson")
    ...     doc = json.loads(written.read_text(encoding="utf-8"))
    ...     separate = [p.name for p in export_geojson(run, Path(folder) / "b.geojson", layers="separate")]
    >>> doc["type"], doc["features"][0]["properties"]["layer"], doc["corridor"]["scenario"]
    ('FeatureCollection', 'node', 'baseline-2024')
    >>> separate
    ['b.nodes.geojson', 'b.edges.geojson']
    """
    path = Path(path)
    if layers not in ("combined", "separate"):
        raise CorridorError(f"unknown layers option '{layers}' (fix: use 'combined' or 'separate')")
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    targets = (
        [(path, ("node", "edge"))]
        if layers == "combined"
        else [(path.with_name(f"{stem}.{name}.geojson"), (lay,)) for lay, name in _LAYERS]
    )
    for target, _ in targets:
        _check_target(target, analysis)
    provenance = _provenance(analysis)
    summary = _as_throughput(throughput)
    if summary is not None:
        provenance["throughput"] = {
            k: [_value(x) for x in v] if isinstance(v, list | tuple) else _value(v)
            for k, v in summary.items()
            if k != "cut" and (_is_scalar(v) or (isinstance(v, list | tuple) and all(map(_is_scalar, v))))
        }
    out = []
    for target, lays in targets:

        def features(lays: tuple[str, ...] = lays) -> Iterator[dict[str, Any]]:
            for lay in lays:
                yield from _features(analysis, lay, criticality=criticality, throughput=throughput)

        out.append(_atomic(target, lambda tmp, f=features: _write_lines(tmp, _collection_lines(provenance, f()))))
    return out
