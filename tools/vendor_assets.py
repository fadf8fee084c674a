#!/usr/bin/env python
"""Vendor the JS/CSS/font assets that folium/branca load from CDNs.

Build-time tool. It asks folium and branca which CDN URLs they reference
(``folium.folium._default_js``/``_default_css``, plugin ``default_js``/
``default_css``, and whatever a rendered sample map with the features used by
corridor links to, e.g. branca's d3 for colormap legends), fetches the npm
package that provides each file with ``npm pack NAME@VERSION`` at the version
in the URL, extracts only the files needed (plus each package's licence) into
``corridor/render/vendor/<package>-<version>/`` keeping the package-relative paths
(so CSS ``url(...)`` references still resolve), and writes
``corridor/render/vendor/manifest.json`` mapping each CDN URL to its local file.

Trimming (recorded as ``modified`` in the manifest): ``@font-face`` rules keep
only their woff2 source; Font Awesome keeps only its FA6 ``@font-face`` rules
(its CSS declares the same fonts three times, for FA6, FA5 and FA4 names).

Usage::

    python tools/vendor_assets.py            # (re)write corridor/render/vendor
    python tools/vendor_assets.py --check    # verify manifest matches folium

Requires ``npm`` on the PATH and access to the npm registry.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import posixpath
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VENDOR = REPO / "corridor" / "render" / "vendor"

# ---------------------------------------------------------------------------
# Rules: how a CDN URL maps onto an npm package. Versions always come from the
# URL itself; only packages that substitute for a non-npm original are pinned.
# ---------------------------------------------------------------------------

# cdnjs library name -> (npm package, {cdn file name: path inside the package}).
CDNJS_TO_NPM: dict[str, tuple[str, dict[str, str]]] = {
    # Leaflet.awesome-markers 2.0.2 is not on npm under its own name at that
    # version; drmonty-leaflet-awesome-markers@2.0.2 mirrors the release.
    "Leaflet.awesome-markers": (
        "drmonty-leaflet-awesome-markers",
        {
            "leaflet.awesome-markers.js": "js/leaflet.awesome-markers.js",
            "leaflet.awesome-markers.min.js": "js/leaflet.awesome-markers.min.js",
            "leaflet.awesome-markers.css": "css/leaflet.awesome-markers.css",
        },
    ),
    "d3": ("d3", {}),
}

# Substitutes for files that are on no npm package at the CDN's version.
# bootstrap 3.0.0's separate "bootstrap-glyphicons.css" (a pre-release leftover
# on the old netdna CDN): glyphicons-only-bootstrap carries the Bootstrap 3.3.7
# glyphicon rules and fonts (a superset of the 3.0.0 icon set).
GLYPHICONS_URL = re.compile(r"^https?://netdna\.bootstrapcdn\.com/bootstrap/[^/]+/css/bootstrap-glyphicons\.css$")
GLYPHICONS_NPM = ("glyphicons-only-bootstrap", "1.0.1", "css/bootstrap.min.css")

# folium's own rotate CSS, served from its GitHub repository, is a list of
# ".fa-rotate-N{transform:rotate(Ndeg)}" rules; it is regenerated here.
FOLIUM_ROTATE_URL = re.compile(
    r"^https?://cdn\.jsdelivr\.net/gh/python-visualization/folium/folium/templates/leaflet\.awesome\.rotate(\.min)?\.css$"
)

# Packages whose npm tarball has no licence file: take the text from the
# upstream package the code comes from (same licence, same authors).
LICENSE_FROM: dict[str, tuple[str, str, str]] = {
    "drmonty-leaflet-awesome-markers": ("leaflet.awesome-markers", "2.0.5", "LICENSE"),
    "glyphicons-only-bootstrap": ("bootstrap", "3.3.7", "LICENSE"),
}

# package.json licence fields that are not SPDX identifiers.
LICENSE_SPDX_FIX = {"BSD": "BSD-3-Clause", "MIT License": "MIT"}

# Per-package @font-face filter (regex on font-family); default keeps all.
KEEP_FONT_FAMILIES = {"@fortawesome/fontawesome-free": r"^Font Awesome 6 "}

# Extra files needed at run time that no CSS references.
EXTRA_FILES = {
    # corridor.render.offline points L.Icon.Default at these (inlined leaflet.css
    # breaks Leaflet's icon path detection).
    "leaflet": ["dist/images/marker-icon.png", "dist/images/marker-icon-2x.png", "dist/images/marker-shadow.png"],
}

LICENSE_NAMES = ("LICENSE", "LICENSE.txt", "LICENSE.md", "LICENCE", "LICENCE.txt", "license")


# ---------------------------------------------------------------------------
# Which URLs folium / branca use
# ---------------------------------------------------------------------------


def folium_asset_urls() -> list[str]:
    """Return the CDN URLs used by the folium features corridor relies on.

    Read from folium's module attributes and from a rendered sample map (which
    also reveals links that branca adds at render time, e.g. d3).
    """
    import branca.colormap
    import folium
    import folium.folium
    import folium.plugins

    urls: list[str] = []

    def add(u: str) -> None:
        if u not in urls:
            urls.append(u)

    for _, u in list(folium.folium._default_js) + list(folium.folium._default_css):
        add(u)
    for cls in (folium.plugins.PolyLineTextPath, folium.plugins.Fullscreen):
        for _, u in list(getattr(cls, "default_js", [])) + list(getattr(cls, "default_css", [])):
            add(u)

    m = folium.Map(location=[40, 50], zoom_start=5, tiles=None)
    gj = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "a", "v": 1},
                "geometry": {"type": "Point", "coordinates": [50, 40]},
            }
        ],
    }
    folium.GeoJson(gj, name="g", tooltip=folium.GeoJsonTooltip(["name"]), popup=folium.GeoJsonPopup(["v"])).add_to(m)
    line = folium.PolyLine([[40, 50], [41, 51]]).add_to(m)
    folium.plugins.PolyLineTextPath(line, ">", repeat=True).add_to(m)
    folium.plugins.Fullscreen().add_to(m)
    branca.colormap.LinearColormap(["red", "blue"], vmin=0, vmax=1, caption="c").add_to(m)
    folium.Marker([40, 50], icon=folium.Icon(icon="info-sign")).add_to(m)
    folium.LayerControl().add_to(m)
    html = m.get_root().render()
    for u in re.findall(r"<script[^>]*\bsrc=\"(https?://[^\"]+)\"", html):
        add(u)
    for u in re.findall(r"<link[^>]*\bhref=\"(https?://[^\"]+)\"", html):
        add(u)
    return urls


# ---------------------------------------------------------------------------
# npm
# ---------------------------------------------------------------------------


@dataclass
class Package:
    name: str
    version: str
    files: dict[str, bytes]  # path inside package (no "package/" prefix) -> bytes
    meta: dict = field(default_factory=dict)

    @property
    def dirname(self) -> str:
        return f"{self.name.lstrip('@').replace('/', '-')}-{self.version}"


class Npm:
    """Cache of ``npm pack`` tarballs in a temporary directory."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.cache: dict[tuple[str, str], Package] = {}

    def get(self, name: str, version: str) -> Package:
        key = (name, version)
        if key not in self.cache:
            out = subprocess.run(
                ["npm", "pack", f"{name}@{version}", "--pack-destination", str(self.workdir), "--json", "--silent"],
                check=True,
                capture_output=True,
                text=True,
            )
            info = json.loads(out.stdout)[0]
            files: dict[str, bytes] = {}
            with tarfile.open(self.workdir / info["filename"]) as tf:
                for member in tf.getmembers():
                    if member.isfile():
                        path = member.name.split("/", 1)[1]
                        fh = tf.extractfile(member)
                        assert fh is not None
                        files[path] = fh.read()
            meta = json.loads(files["package.json"])
            self.cache[key] = Package(name, version, files, meta)
        return self.cache[key]


def resolve(url: str) -> tuple[str, str, str] | None:
    """Map a CDN URL to ``(npm name, version, path in package)``; None if unknown."""
    m = re.match(r"^https?://cdn\.jsdelivr\.net/npm/((?:@[^/]+/)?[^/@]+)@([^/]+)/(.+)$", url)
    if m:
        return m.group(1), m.group(2), m.group(3)
    m = re.match(r"^https?://code\.jquery\.com/jquery-(\d+\.\d+\.\d+)(\.min)?\.js$", url)
    if m:
        return "jquery", m.group(1), f"dist/jquery{m.group(2) or ''}.js"
    m = re.match(r"^https?://cdnjs\.cloudflare\.com/ajax/libs/([^/]+)/([^/]+)/(.+)$", url)
    if m and m.group(1) in CDNJS_TO_NPM:
        name, paths = CDNJS_TO_NPM[m.group(1)]
        return name, m.group(2), paths.get(m.group(3), m.group(3))
    if GLYPHICONS_URL.match(url):
        return GLYPHICONS_NPM
    return None


def pick_file(pkg: Package, path: str) -> tuple[str, str | None]:
    """Find ``path`` in the package, falling back to the unminified/minified twin.

    Returns the chosen path and a note when it differs from the one asked for.
    """
    if path in pkg.files:
        return path, None
    candidates = []
    if ".min." in path:
        candidates.append(path.replace(".min.", "."))
    else:
        stem, ext = posixpath.splitext(path)
        candidates.append(f"{stem}.min{ext}")
    base = posixpath.basename(path)
    candidates += sorted(p for p in pkg.files if posixpath.basename(p) == base)
    for c in candidates:
        if c in pkg.files:
            return c, f"{pkg.name}@{pkg.version} has no {path}; using {c}"
    raise SystemExit(f"{pkg.name}@{pkg.version}: no file {path} (nor a min/unminified twin)")


def license_id(pkg: Package) -> str:
    lic = pkg.meta.get("license")
    if not lic and pkg.meta.get("licenses"):
        lic = pkg.meta["licenses"][0]["type"]
    if isinstance(lic, dict):
        lic = lic.get("type")
    return LICENSE_SPDX_FIX.get(lic, lic) or "UNKNOWN"


# ---------------------------------------------------------------------------
# CSS trimming
# ---------------------------------------------------------------------------

URL_RE = re.compile(r"url\(\s*(['\"]?)([^'\")]+)\1\s*\)")
FONT_FACE_RE = re.compile(r"@font-face\s*\{[^}]*\}")


def _woff2_only(rule: str) -> str:
    """Reduce an @font-face rule's ``src`` to its woff2 entry (if it has one)."""

    def fix_src(m: re.Match[str]) -> str:
        entries = re.split(r",(?![^(]*\))", m.group(2))
        woff2 = [e for e in entries if "woff2" in e]
        return m.group(1) + (",".join(e.strip() for e in woff2) if woff2 else m.group(2))

    if "woff2" not in rule:
        return rule
    # drop the IE-only "src:url(x.eot);" line, keep the real src list
    rule = re.sub(r"src:\s*url\([^)]*\.eot[^)]*\)\s*;", "", rule)
    return re.sub(r"(src:\s*)([^;}]+)", fix_src, rule)


def trim_css(css: str, keep_families: str | None) -> tuple[str, list[str]]:
    """Return trimmed CSS and a list of notes describing the changes."""
    notes: list[str] = []
    dropped = 0

    def fix(m: re.Match[str]) -> str:
        nonlocal dropped
        rule = m.group(0)
        fam = re.search(r"font-family:\s*['\"]?([^;'\"]+)", rule)
        if keep_families and fam and not re.search(keep_families, fam.group(1)):
            dropped += 1
            return ""
        return _woff2_only(rule)

    new = FONT_FACE_RE.sub(fix, css)
    if new != css:
        notes.append("@font-face src reduced to woff2")
    if dropped:
        notes.append(f"dropped {dropped} @font-face rules not matching {keep_families!r}")
    return new, notes


def css_refs(css: str, css_path: str) -> list[str]:
    """Package-relative paths of local files referenced by ``url()`` in ``css``."""
    out = []
    for _, ref in URL_RE.findall(css):
        if ref.startswith(("data:", "#", "http:", "https:", "//")):
            continue
        ref = ref.split("#", 1)[0].split("?", 1)[0]
        p = posixpath.normpath(posixpath.join(posixpath.dirname(css_path), ref))
        if p not in out:
            out.append(p)
    return out


def rotate_css() -> str:
    rules = "".join(f".fa-rotate-{n}{{transform:rotate({n}deg)}}" for n in range(360))
    head = "/* leaflet.awesome.rotate.css, regenerated by corridor tools/vendor_assets.py from folium's */\n"
    return head + rules + "\n"


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build(out: Path) -> dict:
    import branca
    import folium

    urls = folium_asset_urls()
    manifest: dict = {
        "about": "CDN URL -> vendored file, written by tools/vendor_assets.py; paths relative to this folder",
        "folium": folium.__version__,
        "branca": branca.__version__,
        "assets": {},
        "packages": {},
        "leaflet_icons": {},
    }
    written: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as tmp:
        npm = Npm(Path(tmp))

        def add_package(pkg: Package) -> dict:
            key = f"{pkg.name}@{pkg.version}"
            if key not in manifest["packages"]:
                lic_path = next((n for n in LICENSE_NAMES if n in pkg.files), None)
                lic_note = None
                if lic_path:
                    lic_bytes = pkg.files[lic_path]
                else:
                    up_name, up_ver, up_path = LICENSE_FROM[pkg.name]
                    lic_bytes = npm.get(up_name, up_ver).files[up_path]
                    lic_path = "LICENSE"
                    lic_note = f"no licence file in the package; text from upstream {up_name}@{up_ver}/{up_path}"
                written[f"{pkg.dirname}/{lic_path}"] = lic_bytes
                entry = {
                    "name": pkg.name,
                    "version": pkg.version,
                    "license": license_id(pkg),
                    "license_file": f"{pkg.dirname}/{lic_path}",
                    "homepage": pkg.meta.get("homepage"),
                }
                if lic_note:
                    entry["license_note"] = lic_note
                manifest["packages"][key] = entry
            return manifest["packages"][key]

        for url in urls:
            if FOLIUM_ROTATE_URL.match(url):
                rel = f"folium-{folium.__version__}/leaflet.awesome.rotate.min.css"
                written[rel] = rotate_css().encode()
                lic = Path(folium.__file__).parent.parent / f"folium-{folium.__version__}.dist-info"
                lic_file = next((p for p in sorted(lic.rglob("LICENSE*"))), None)
                assert lic_file is not None, "folium's dist-info has no LICENSE"
                written[f"folium-{folium.__version__}/LICENSE"] = lic_file.read_bytes()
                manifest["packages"][f"folium@{folium.__version__}"] = {
                    "name": "folium",
                    "version": folium.__version__,
                    "license": "MIT",
                    "license_file": f"folium-{folium.__version__}/LICENSE",
                    "homepage": "https://python-visualization.github.io/folium/",
                }
                manifest["assets"][url] = {
                    "file": rel,
                    "type": "css",
                    "package": "folium",
                    "version": folium.__version__,
                    "license": "MIT",
                    "note": "regenerated: .fa-rotate-N{transform:rotate(Ndeg)} for N in 0..359",
                }
                continue
            target = resolve(url)
            if target is None:
                raise SystemExit(f"no rule to vendor {url}: add one to tools/vendor_assets.py")
            name, version, path = target
            pkg = npm.get(name, version)
            info = add_package(pkg)
            chosen, note = pick_file(pkg, path)
            data = pkg.files[chosen]
            notes = [note] if note else []
            kind = "css" if chosen.endswith(".css") else "js"
            entry = {
                "file": f"{pkg.dirname}/{chosen}",
                "type": kind,
                "package": name,
                "version": version,
                "license": info["license"],
                "sha256_upstream": sha256(data),
            }
            if kind == "css":
                text, trim_notes = trim_css(data.decode("utf-8"), KEEP_FONT_FAMILIES.get(name))
                notes += trim_notes
                data = text.encode("utf-8")
                for ref in css_refs(text, chosen):
                    if ref not in pkg.files:
                        raise SystemExit(f"{url}: CSS references {ref}, missing in {name}@{version}")
                    written[f"{pkg.dirname}/{ref}"] = pkg.files[ref]
            if notes:
                entry["note"] = "; ".join(notes)
            written[entry["file"]] = data
            manifest["assets"][url] = entry
            for extra in EXTRA_FILES.get(name, []):
                written[f"{pkg.dirname}/{extra}"] = pkg.files[extra]
                if name == "leaflet":
                    key = posixpath.basename(extra).replace(".png", "")
                    manifest["leaflet_icons"][key] = f"{pkg.dirname}/{extra}"

    if out.exists():
        shutil.rmtree(out)
    for rel in sorted(written):
        p = out / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(written[rel])
    manifest["assets"] = dict(sorted(manifest["assets"].items()))
    manifest["packages"] = dict(sorted(manifest["packages"].items()))
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return manifest


def check(out: Path) -> int:
    """Exit status 1 if folium references a URL that the manifest lacks."""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    missing = [u for u in folium_asset_urls() if u not in manifest["assets"]]
    for u in missing:
        print(f"not vendored: {u}", file=sys.stderr)
    return 1 if missing else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=VENDOR, help="output folder (default corridor/render/vendor)")
    ap.add_argument("--check", action="store_true", help="only check that the manifest covers folium's URLs")
    args = ap.parse_args(argv)
    if args.check:
        return check(args.out)
    manifest = build(args.out)
    total = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    for url, e in manifest["assets"].items():
        print(f"{e['package']}@{e['version']:<8} {e['license']:<28} {url}")
    print(f"{len(manifest['assets'])} assets, {total / 1024:.0f} kB in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
