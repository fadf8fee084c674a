"""QGIS layer styles (QML) of the exported layers, coloured by the severities of :mod:`corridor.vocabulary`."""

from __future__ import annotations

import itertools
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from corridor.results import Analysis

from corridor._values import SEVERITY_COLOURS


def _key(*parts: str) -> str:
    """A deterministic QGIS key ``{uuid}`` (uuid5 of the parts)."""
    return "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, "corridor:" + "/".join(parts))) + "}"


def _rgba(hex_colour: str, alpha: int = 255) -> str:
    h = hex_colour.lstrip("#")
    return ",".join(str(int(h[i : i + 2], 16)) for i in (0, 2, 4)) + f",{alpha}"


def _options(parent: ET.Element, values: Mapping[str, str]) -> ET.Element:
    node = ET.SubElement(parent, "Option", type="Map")
    for k, v in values.items():
        ET.SubElement(node, "Option", name=k, type="QString", value=v)
    return node


def _data_defined(parent: ET.Element, properties: Mapping[str, str]) -> None:
    """``<data_defined_properties>`` with one active expression per property (QgsProperty type 3)."""
    ddp = ET.SubElement(parent, "data_defined_properties")
    root = ET.SubElement(ddp, "Option", type="Map")
    ET.SubElement(root, "Option", name="name", type="QString", value="")
    props = ET.SubElement(root, "Option", name="properties")
    if properties:
        props.set("type", "Map")
    for name, expression in properties.items():
        prop = ET.SubElement(props, "Option", name=name, type="Map")
        ET.SubElement(prop, "Option", name="active", type="bool", value="true")
        ET.SubElement(prop, "Option", name="expression", type="QString", value=expression)
        ET.SubElement(prop, "Option", name="type", type="int", value="3")
    ET.SubElement(root, "Option", name="type", type="QString", value="collection")


def _line_symbol(parent: ET.Element, name: str, colour: str, *, width: str, style: str, width_expr: str) -> None:
    sym = ET.SubElement(parent, "symbol", type="line", name=name, alpha="1", clip_to_extent="1", force_rhr="0")
    _data_defined(sym, {})
    lay = ET.SubElement(sym, "layer", {"class": "SimpleLine", "enabled": "1", "locked": "0", "pass": "0"})
    _options(
        lay,
        {
            "capstyle": "round",
            "joinstyle": "round",
            "line_color": colour,
            "line_style": style,
            "line_width": width,
            "line_width_unit": "MM",
            "offset": "0",
            "offset_unit": "MM",
            "use_custom_dash": "0",
        },
    )
    _data_defined(lay, {"outlineWidth": width_expr} if width_expr else {})


def _marker_symbol(parent: ET.Element, name: str, fill: str, outline: str, *, size: str, shape_name: str) -> None:
    sym = ET.SubElement(parent, "symbol", type="marker", name=name, alpha="1", clip_to_extent="1", force_rhr="0")
    _data_defined(sym, {})
    lay = ET.SubElement(sym, "layer", {"class": "SimpleMarker", "enabled": "1", "locked": "0", "pass": "0"})
    _options(
        lay,
        {
            "angle": "0",
            "color": fill,
            "name": shape_name,
            "outline_color": outline,
            "outline_style": "solid",
            "outline_width": "0.3",
            "outline_width_unit": "MM",
            "scale_method": "diameter",
            "size": size,
            "size_unit": "MM",
        },
    )
    _data_defined(lay, {})


def _qml(renderer: ET.Element, geometry_type: int) -> str:
    root = ET.Element("qgis", version="3.28.0-Firenze", styleCategories="Symbology", labelsEnabled="0")
    root.append(renderer)
    ET.SubElement(root, "blendMode").text = "0"
    ET.SubElement(root, "featureBlendMode").text = "0"
    ET.SubElement(root, "layerOpacity").text = "1"
    ET.SubElement(root, "layerGeometryType").text = str(geometry_type)
    ET.indent(root, space="  ")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode") + "\n"


def _num(x: float) -> str:
    return f"{x:.15g}"


def _qgis_string(text: str) -> str:
    """A string literal of a QGIS expression (quotes doubled)."""
    return "'" + text.replace("'", "''") + "'"


def edge_style_qml(analysis: Analysis) -> str:
    """QGIS style (QML) of the edges: graduated colour by utilisation, line width by flow.

    The graduated renderer classifies ``coalesce("utilization", -1)`` (−1: no capacity or not in
    service, drawn thin and grey) in bands at 50 %, the bottleneck threshold and 100 %. The width is
    data-defined, ``0.4 + 3.6 * sqrt(flow / the largest flow in the same unit)`` mm, as flows in Mt/yr,
    MW and Tbps are not comparable.

    Parameters
    ----------
    analysis : Analysis
        The results (their threshold and the largest flow per unit set the bands and the widths).

    Returns
    -------
    str
        The QML document (QGIS 3.28), as stored in a GeoPackage's ``layer_styles``.

    Examples
    --------
    >>> import corridor
    >>> qml = edge_style_qml(corridor.analyze("baseline-2024"))
    >>> print(qml.splitlines()[0])
    <!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
    >>> 'type="graduatedSymbol"' in qml
    True
    """
    threshold = analysis.threshold
    edges = analysis.edges
    top: dict[str, float] = {}
    for unit, flow in zip(edges["capacity_unit"], edges["flow"], strict=True):
        if isinstance(unit, str) and flow == flow:
            top[unit] = max(top.get(unit, 0.0), float(flow))
    scale = " ".join(f"WHEN {_qgis_string(u)} THEN {_num(top[u] if top[u] > 0 else 1.0)}" for u in sorted(top))
    width = f'0.4 + 3.6 * sqrt(coalesce("flow", 0) / (CASE "capacity_unit" {scale} ELSE 1 END))' if top else "0.6"

    breaks = sorted({0.0, 0.5, threshold, 1.0})
    bands = [(-1.0, -1.0, "#9e9e9e", "no capacity / not in service")]
    colours = {0.0: SEVERITY_COLOURS["ok"], 0.5: SEVERITY_COLOURS["busy"], threshold: SEVERITY_COLOURS["near-capacity"]}
    for lo, hi in itertools.pairwise(breaks):
        colour = colours.get(lo, SEVERITY_COLOURS["near-capacity"])
        bands.append((lo, hi, colour, f"{lo:.0%} – {hi:.0%}"))
    bands.append((1.0, 1e6, SEVERITY_COLOURS["over-capacity"], "over capacity (> 100%)"))

    renderer = ET.Element(
        "renderer-v2",
        type="graduatedSymbol",
        attr='coalesce("utilization", -1)',
        graduatedMethod="GraduatedColor",
        symbollevels="0",
        enableorderby="0",
        forceraster="0",
        referencescale="-1",
    )
    ranges = ET.SubElement(renderer, "ranges")
    symbols = ET.SubElement(renderer, "symbols")
    for i, (lo, hi, colour, label) in enumerate(bands):
        ET.SubElement(
            ranges,
            "range",
            symbol=str(i),
            lower=f"{lo:.15f}",
            upper=f"{hi:.15f}",
            label=label,
            render="true",
            uuid=_key("edges", "range", str(i)),
        )
        if i == 0:
            _line_symbol(symbols, str(i), _rgba(colour), width="0.3", style="dash", width_expr="")
        else:
            _line_symbol(symbols, str(i), _rgba(colour), width="0.6", style="solid", width_expr=width)
    source = ET.SubElement(renderer, "source-symbol")
    _line_symbol(source, "0", _rgba(SEVERITY_COLOURS["ok"]), width="0.6", style="solid", width_expr=width)
    method = ET.SubElement(renderer, "classificationMethod", id="Fixed")
    ET.SubElement(method, "symmetricMode", enabled="0", symmetrypoint="0", astride="0")
    ET.SubElement(method, "labelFormat", format="%1 - %2", labelprecision="2", trimtrailingzeroes="1")
    ET.SubElement(renderer, "rotation")
    ET.SubElement(renderer, "sizescale")
    return _qml(renderer, geometry_type=1)


def node_style_qml(analysis: Analysis) -> str:
    """QGIS style (QML) of the nodes: rule-based, bottlenecks large and coloured by severity.

    Parameters
    ----------
    analysis : Analysis
        The results (the rules read their ``bottleneck``, ``severity`` and ``active`` fields).

    Returns
    -------
    str
        The QML document (QGIS 3.28).

    Examples
    --------
    >>> import corridor
    >>> qml = node_style_qml(corridor.analyze("baseline-2024"))
    >>> 'type="RuleRenderer"' in qml, "bottleneck: binding" in qml
    (True, True)
    """
    rules = [
        ('"bottleneck" AND "severity" = \'over-capacity\'', "bottleneck: over capacity", "over-capacity", "4.2"),
        ('"bottleneck" AND "severity" = \'binding\'', "bottleneck: binding", "binding", "3.8"),
        ('"bottleneck"', "bottleneck: near capacity", "near-capacity", "3.4"),
        ('NOT "active"', "not in service", None, "1.8"),
        ("ELSE", "node", "ok", "1.8"),
    ]
    renderer = ET.Element(
        "renderer-v2", type="RuleRenderer", symbollevels="0", enableorderby="0", forceraster="0", referencescale="-1"
    )
    root_rules = ET.SubElement(renderer, "rules", key=_key("nodes", "rules"))
    symbols = ET.SubElement(renderer, "symbols")
    previous: list[str] = []
    for i, (expr, label, severity, size) in enumerate(rules):
        # rules are exclusive: each excludes the ones above it (so a node is drawn once)
        full = expr if expr == "ELSE" else " AND ".join([*(f"NOT ({p})" for p in previous), f"({expr})"])
        if expr != "ELSE":
            previous.append(expr)
        ET.SubElement(root_rules, "rule", key=_key("nodes", "rule", str(i)), filter=full, label=label, symbol=str(i))
        if severity is None:
            _marker_symbol(symbols, str(i), "255,255,255,0", _rgba("#9e9e9e"), size=size, shape_name="circle")
        else:
            shape_name = "circle" if severity == "ok" else "diamond"
            _marker_symbol(
                symbols, str(i), _rgba(SEVERITY_COLOURS[severity]), "35,35,35,255", size=size, shape_name=shape_name
            )
    return _qml(renderer, geometry_type=0)
