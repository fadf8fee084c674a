"""The bundled geodata tells the truth: coverage, sources, years, lengths, and lines on the right side of the coast."""

from __future__ import annotations

import tomllib
from functools import cache

import geopandas as gpd
import pytest
import shapely

from corridor import load_geodata
from corridor.io.geodata import DEFAULT_GEODATA, load_basemap
from corridor.io.scenario import list_scenarios, load_scenario

#: Nodes the corridor cannot be described without (issue #3's coverage list).
REQUIRED_NODES = [
    "alashankou", "dostyk", "khorgos-cn", "altynkol", "khorgos-gateway",
    "aktogay", "moyynty", "zhezkazgan", "beyneu", "mangyshlak", "almaty", "shu", "arys", "kyzylorda",
    "aktau-port", "aktau-oil-terminal", "kuryk-port", "sarzha-terminal", "turkmenbashi-port",
    "alat-port", "baku", "ganja", "tbilisi", "marabda", "akhalkalaki-1520", "akhalkalaki-1435", "kars",
    "poti-port", "batumi-port", "anaklia-port", "supsa-terminal", "constanta-port", "istanbul-gateway",
    "sangachal-terminal", "ceyhan-terminal",
    "sumgait-fiber-landing", "siyazan-fiber-landing", "aktau-fiber-landing", "turkmenbashi-fiber-landing",
    "az-caspian-power-landing", "kz-caspian-power-converter", "anaklia-converter", "constanta-converter",
]  # fmt: skip

#: (from, to, mode) links that must exist (in either direction).
REQUIRED_LINKS = [
    ("aktau-port", "alat-port", "sea"), ("kuryk-port", "alat-port", "sea"), ("turkmenbashi-port", "alat-port", "sea"),
    ("aktau-oil-terminal", "sangachal-terminal", "sea"),
    ("akhalkalaki-1520", "akhalkalaki-1435", "transfer"), ("alashankou", "dostyk", "transfer"),
    ("khorgos-cn", "altynkol", "transfer"),
    ("aktau-fiber-landing", "sumgait-fiber-landing", "fiber"),
    ("siyazan-fiber-landing", "turkmenbashi-fiber-landing", "fiber"),
    ("kz-caspian-power-converter", "az-caspian-power-landing", "power_cable"),
    ("anaklia-converter", "constanta-converter", "power_cable"),
]  # fmt: skip

#: Published lengths must be reproduced within 3 % (issue #12). Sea lanes and cables keep 10 %: a voyage's track
#: varies, and the cables' landing sites and routes are not fixed yet (several published lengths differ by 8 %).
LENGTH_TOLERANCE = {"rail": 0.03, "road": 0.03, "pipeline": 0.03, "transfer": 0.03, "sea": 0.10, "fiber": 0.10,
                    "power_cable": 0.10}  # fmt: skip
#: Lines still short of their published length, with the deviation allowed until they are re-digitised (each note
#: says why): the OSM graph's chords through the Dzungarian Gate and the hand-digitised Arpacay section.
KNOWN_SHORT = {"rail-dostyk-aktogay": 0.05, "rail-kartsakhi-kars": 0.05}
#: A sea edge may cross land this far from each end (ports and landings sit on the coast or inland).
END_ALLOWANCE_KM = 5.0
#: A land edge may run over water this far in all (simplified coastlines, bridges, harbour causeways).
WATER_ALLOWANCE_KM = 3.0
#: Documented crossings the basemap (Natural Earth 10m, simplified to 0.01 deg) cannot resolve: km allowed per edge.
#: Land lines: subsea crossings of pipelines (the Dardanelles for TANAP; TAP's Adriatic lies beyond the basemap).
WATER_CROSSINGS_KM = {"pipe-tanap-west": 14.0, "pipe-tap-komotini-melendugno": 160.0}
#: Sea lanes: the Bosphorus and the Dardanelles narrows (0.7-3 km wide) are closed or jagged in the basemap.
LAND_CROSSINGS_KM = {"sea-straits-ceyhan-oil": 12.0}
#: Pipelines laid on the sea bed (checked like the subsea cables, not like land lines).
SUBSEA_PIPELINES = ("pipe-tcgp",)
#: Equidistant conic for the region, so that buffers and lengths are in metres.
REGION_CRS = "+proj=eqdc +lat_0=40 +lon_0=55 +lat_1=37 +lat_2=47 +datum=WGS84 +units=m"


@cache
def data():
    return load_geodata()


@cache
def land():
    outlines = load_basemap().to_crs(REGION_CRS)
    return shapely.union_all(outlines.geometry.values)


def _km_on(line, area) -> float:
    part = line.intersection(area)
    return 0.0 if part.is_empty else part.length / 1000


def test_bundled_geodata_validates():
    nodes, edges = data()
    assert len(nodes) > 40 and len(edges) > 50


@pytest.mark.parametrize("node", REQUIRED_NODES)
def test_required_node_present(node):
    assert node in data().nodes.index, f"{node} is missing from geodata/nodes.geojson"


@pytest.mark.parametrize(("a", "b", "mode"), REQUIRED_LINKS)
def test_required_link_present(a, b, mode):
    e = data().edges
    pairs = set(zip(e["from_id"], e["to_id"], e["mode"], strict=True))
    assert (a, b, mode) in pairs or (b, a, mode) in pairs, f"no {mode} edge between {a} and {b}"


def test_btc_and_supsa_pipelines_present():
    e = data().edges
    pipes = e[e["mode"] == "pipeline"]
    btc = pipes[pipes["name"].str.contains("BTC|Baku.Tbilisi.Ceyhan", regex=True)]
    # hand digitising under-counts the mountain bends (each leg's note gives its shortfall): a sanity check that
    # this is the real route, not a chord (a straight Sangachal-Ceyhan line is ~1,200 km)
    assert btc["length_km"].sum() == pytest.approx(1768, rel=0.08), "BTC legs should add up to about 1,768 km"
    assert (pipes["to_id"] == "supsa-terminal").any()


def test_every_feature_has_a_source_and_year():
    for layer in data():
        assert layer["source_url"].str.len().min() >= 8
        assert layer["source_year"].notna().all()
        assert layer["source_year"].between(1990, 2035).all()


def test_planned_assets_have_a_target_year():
    for layer in data():
        planned = layer[layer["status"] != "operating"]
        assert planned["start_year"].notna().all(), list(planned.index[planned["start_year"].isna()])


def test_estimates_say_so():
    """Capacities that no source gives are marked as estimates in the note (spot check of known ones)."""
    e = data().edges
    for eid in ("rail-shalkar-beyneu", "sea-aktau-alat"):
        assert "estimate" in (e.loc[eid, "note"] or "").lower(), eid


def test_published_lengths_are_reproduced():
    e = data().edges
    checked = e[e["published_length_km"].notna()]
    assert len(checked) >= 5
    bad = []
    for eid, r in checked.iterrows():
        tol = KNOWN_SHORT.get(eid, LENGTH_TOLERANCE[r["mode"]])
        if abs(r["length_km"] - r["published_length_km"]) > tol * r["published_length_km"]:
            bad.append(f"{eid}: {r['length_km']:.1f} km vs published {r['published_length_km']:.1f} km")
    assert not bad, bad


def _edges_in_region_crs(modes: set[str]) -> gpd.GeoDataFrame:
    e = data().edges
    return e[e["mode"].isin(modes)].to_crs(REGION_CRS)


def test_sea_edges_stay_at_sea():
    bad = []
    for eid, line in _edges_in_region_crs({"sea"}).geometry.items():
        ends = shapely.union_all(
            [
                shapely.Point(line.coords[0]).buffer(END_ALLOWANCE_KM * 1000),
                shapely.Point(line.coords[-1]).buffer(END_ALLOWANCE_KM * 1000),
            ]
        )
        km = _km_on(line.difference(ends), land())
        if km > LAND_CROSSINGS_KM.get(eid, 1.0):
            bad.append(f"{eid}: {km:.1f} km over land")
    assert not bad, bad


def test_subsea_cables_stay_at_sea():
    """Cables across the Caspian and the Black Sea: subsea between their landings (landing and converter
    stations may lie up to 20 km inland)."""
    e = data().edges
    subsea = [i for i in ("fiber-aktau-sumgait", "fiber-siyazan-turkmenbashi", "power-caspian-kz-az",
                          "power-blacksea-cable", "fiber-ccs-poti-balchik") if i in e.index]  # fmt: skip
    subsea += [i for i in SUBSEA_PIPELINES if i in e.index]
    bad = []
    for eid, line in e.loc[subsea].to_crs(REGION_CRS).geometry.items():
        ends = shapely.union_all([shapely.Point(line.coords[i]).buffer(20_000) for i in (0, -1)])
        km = _km_on(line.difference(ends), land())
        if km > 1.0:
            bad.append(f"{eid}: {km:.1f} km over land")
    assert not bad, bad


def test_land_edges_do_not_cross_open_sea():
    region = shapely.box(*load_basemap().to_crs(REGION_CRS).total_bounds)
    water = region.difference(land())
    bad = []
    for eid, line in _edges_in_region_crs({"rail", "road", "pipeline"}).geometry.items():
        if eid in SUBSEA_PIPELINES:
            continue
        km = _km_on(line, water)
        if km > WATER_CROSSINGS_KM.get(eid, WATER_ALLOWANCE_KM):
            bad.append(f"{eid}: {km:.1f} km over water")
    assert not bad, bad


def test_scenarios_load_and_cite_their_demand():
    geodata = data()
    names = list_scenarios(geodata)
    assert {"baseline-2024", "target-2030"} <= set(names)
    for name in names:
        sc = load_scenario(name, geodata)
        assert sc.demand, name
        raw = tomllib.loads((DEFAULT_GEODATA / "scenarios" / f"{name}.toml").read_text(encoding="utf-8"))
        for d in raw.get("demand", []):
            assert len(d.get("source_url", "")) >= 8, (name, d)


def test_coordinates_are_rounded():
    for path in (DEFAULT_GEODATA / "nodes.geojson", DEFAULT_GEODATA / "edges.geojson"):
        text = path.read_text(encoding="utf-8")
        import re

        longest = max((len(m) for m in re.findall(r"\d+\.(\d+)", text.split('"features"')[1][:200000])), default=0)
        assert 0 < longest <= 6, f"{path.name}: coordinates must be rounded to at most 6 decimals"
