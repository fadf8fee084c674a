"""Self-contained (offline) HTML for folium maps.

folium links Leaflet, jQuery, Bootstrap, Font Awesome, d3 and plugins from
CDNs, so a saved map is a blank page without internet. :func:`inline_assets`
replaces each such ``<script src>``/``<link rel=stylesheet>`` with the copy
vendored in ``corridor/render/vendor`` (see ``tools/vendor_assets.py`` and
``corridor/render/vendor/manifest.json``), turning CSS ``url(...)`` references into
data URIs. :func:`render_offline` renders a map deterministically and inlines
it.
"""

from __future__ import annotations

import base64
import copy
import functools
import json
import posixpath
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corridor._errors import CorridorError

if TYPE_CHECKING:
    import folium
    from branca.element import Element

__all__ = ["VENDOR_DIR", "MissingAssetError", "inline_assets", "render_offline", "stable_ids"]

VENDOR_DIR = Path(__file__).resolve().parent / "vendor"

_MIME = {
    ".png": "image/png",
    ".gif": "image/gif",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".eot": "application/vnd.ms-fontobject",
}

_SCRIPT_RE = re.compile(
    r"<script\b(?P<attrs>[^>]*?)\bsrc\s*=\s*(?P<q>[\"'])(?P<url>[^\"']*)(?P=q)(?P<rest>[^>]*)>\s*</script\s*>",
    re.IGNORECASE,
)
_LINK_RE = re.compile(r"<link\b[^>]*>", re.IGNORECASE)
_ATTR_RE = re.compile(r"\b(?P<name>[a-zA-Z-]+)\s*=\s*(?P<q>[\"'])(?P<value>[^\"']*)(?P=q)")
_CSS_URL_RE = re.compile(r"url\(\s*(?P<q>['\"]?)(?P<ref>[^'\")]+)(?P=q)\s*\)")
_REMOTE = re.compile(r"^(?:https?:)?//", re.IGNORECASE)


class MissingAssetError(CorridorError, RuntimeError):
    """An ``http(s)`` asset in the page has no vendored copy (a :class:`~corridor.CorridorError`: exit 2 at the CLI)."""


def _missing(url: str) -> MissingAssetError:
    return MissingAssetError(
        f"no vendored copy of {url}: add a rule for it to tools/vendor_assets.py "
        "and run `python tools/vendor_assets.py` to update corridor/render/vendor/manifest.json"
    )


@functools.lru_cache(maxsize=4)
def _manifest(vendor_dir: Path) -> dict[str, Any]:
    return json.loads(_read(vendor_dir / "manifest.json"))


@functools.lru_cache(maxsize=256)
def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise MissingAssetError(
            f"vendored file {path} is missing: reinstall corridor, or in a checkout run `python tools/vendor_assets.py`"
        ) from None


def _data_uri(path: Path) -> str:
    mime = _MIME.get(path.suffix.lower())
    if mime is None:
        raise MissingAssetError(
            f"unknown media type for vendored file {path.name}; add it to _MIME in corridor.render.offline"
        )
    return f"data:{mime};base64,{base64.b64encode(_read(path)).decode('ascii')}"


def _css_with_data_uris(css: str, rel: str, vendor_dir: Path) -> str:
    """Replace local ``url()`` references in vendored CSS (at ``rel``) with data URIs."""

    def repl(m: re.Match[str]) -> str:
        ref = m.group("ref").strip()
        if ref.startswith(("data:", "#")):
            return m.group(0)
        if _REMOTE.match(ref):
            raise _missing(ref)
        fragment = "#" + ref.split("#", 1)[1] if "#" in ref else ""
        local = posixpath.normpath(posixpath.join(posixpath.dirname(rel), ref.split("#", 1)[0].split("?", 1)[0]))
        path = vendor_dir / local
        if not path.is_file():
            raise MissingAssetError(
                f"{rel} references {ref}, which is not in {vendor_dir}; re-run tools/vendor_assets.py"
            )
        return f'url("{_data_uri(path)}{fragment}")'

    return _CSS_URL_RE.sub(repl, css)


def _escape(text: str, tag: str) -> str:
    """Make ``text`` safe inside ``<tag>...</tag>`` (no premature end tag)."""
    return re.sub(rf"</(?={tag})", r"<\\/", text, flags=re.IGNORECASE)


def _leaflet_icon_fix(manifest: dict[str, Any], vendor_dir: Path) -> str:
    """Script pointing ``L.Icon.Default`` at data URIs (its CSS-based path detection fails once inlined)."""
    icons = manifest.get("leaflet_icons", {})
    if not {"marker-icon", "marker-icon-2x", "marker-shadow"} <= icons.keys():
        raise MissingAssetError("the vendored manifest.json lacks leaflet_icons; re-run tools/vendor_assets.py")
    opts = {
        "iconUrl": _data_uri(vendor_dir / icons["marker-icon"]),
        "iconRetinaUrl": _data_uri(vendor_dir / icons["marker-icon-2x"]),
        "shadowUrl": _data_uri(vendor_dir / icons["marker-shadow"]),
    }
    return f'<script>L.Icon.Default.imagePath="";L.Icon.Default.mergeOptions({json.dumps(opts)});</script>'


def inline_assets(html: str, *, vendor_dir: Path | str | None = None) -> str:
    """Replace CDN ``<script>``/``<link rel=stylesheet>`` tags with vendored content.

    Parameters
    ----------
    html : str
        A rendered page, e.g. ``folium.Map(...).get_root().render()``.
    vendor_dir : path, optional
        Folder with ``manifest.json`` and the vendored files
        (default ``corridor/render/vendor``).

    Returns
    -------
    str
        The page with every remote script and stylesheet inlined.

    Raises
    ------
    MissingAssetError
        If an ``http(s)`` (or protocol-relative) script or link has no
        vendored copy.

    Examples
    --------
    >>> import folium
    >>> page = folium.Map(tiles=None).get_root().render()
    >>> "https://cdn" in page, "https://cdn" in inline_assets(page)
    (True, False)
    >>> inline_assets('<script src="https://example.org/x.js"></script>')
    Traceback (most recent call last):
    ...
    corridor.render.offline.MissingAssetError: no vendored copy of https://example.org/x.js: ...
    """
    vdir = Path(vendor_dir) if vendor_dir is not None else VENDOR_DIR
    manifest = _manifest(vdir.resolve())
    assets: dict[str, dict[str, Any]] = manifest["assets"]

    def lookup(url: str) -> dict[str, Any]:
        key = "https:" + url if url.startswith("//") else url
        entry = assets.get(key) or assets.get(re.sub(r"^http:", "https:", key, flags=re.IGNORECASE))
        if entry is None:
            raise _missing(url)
        return entry

    def script(m: re.Match[str]) -> str:
        url = m.group("url").strip()
        if not _REMOTE.match(url):
            return m.group(0)
        entry = lookup(url)
        js = _read(vdir / entry["file"]).decode("utf-8")
        out = f"<script>\n{_escape(js, 'script')}\n</script>"
        if entry.get("package") == "leaflet":
            out += _leaflet_icon_fix(manifest, vdir)
        return out

    def link(m: re.Match[str]) -> str:
        attrs = {a.group("name").lower(): a.group("value") for a in _ATTR_RE.finditer(m.group(0))}
        url = attrs.get("href", "").strip()
        if not _REMOTE.match(url):
            return m.group(0)
        entry = lookup(url)
        if "stylesheet" not in attrs.get("rel", "").lower().split() or entry["type"] != "css":
            raise _missing(url)
        css = _css_with_data_uris(_read(vdir / entry["file"]).decode("utf-8"), entry["file"], vdir)
        return f"<style>\n{_escape(css, 'style')}\n</style>"

    return _LINK_RE.sub(link, _SCRIPT_RE.sub(script, html))


def _walk(root: Element) -> list[tuple[Element, str]]:
    """Elements reachable from ``root``, each once, with a path-based id.

    A child's id is its parent's id plus its position among the parent's
    children (``0_1_3``); elements held only as attributes (a figure's
    header/html/script) get ``a<k>`` instead. Elements that rendering appends
    to a parent (e.g. folium's ``ElementAddToElement``) thus do not shift the
    ids of the others, and re-rendering a map does not change its output.
    """
    from branca.element import Element

    seen: set[int] = set()
    order: list[tuple[Element, str]] = []
    stack: list[tuple[Element, str]] = [(root, "0")]
    while stack:
        el, path = stack.pop()
        if id(el) in seen:
            continue
        seen.add(id(el))
        order.append((el, path))
        nxt = [(child, f"{path}_{i}") for i, child in enumerate(el._children.values())]
        attrs = [v for k, v in vars(el).items() if k != "_parent" and isinstance(v, Element)]
        nxt += [(v, f"{path}a{k}") for k, v in enumerate(attrs)]
        stack.extend(reversed(nxt))
    return order


def stable_ids(m: Element) -> Element:
    """Give every element of ``m``'s figure a deterministic id.

    folium/branca draw a random ``_id`` for each element (used in JS variable
    names such as ``map_<id>``); this replaces each with the element's
    position in the tree (e.g. ``map_0_0``), so that the same map always
    renders to the same bytes. Child registries keyed by old names are
    re-keyed. Call it after the map is built, before rendering.

    Parameters
    ----------
    m : branca.element.Element
        A folium map (or any element); its root figure is processed.

    Returns
    -------
    Element
        ``m`` itself, modified in place.

    Examples
    --------
    >>> import folium
    >>> stable_ids(folium.Map(tiles=None)).get_name()
    'map_0_0'
    """
    walked = _walk(m.get_root())
    old_names = [el.get_name() for el, _ in walked]
    for el, path in walked:
        el._id = path
    renamed = {old: el.get_name() for old, (el, _) in zip(old_names, walked, strict=True)}
    for el, _ in walked:
        if el._children:
            el._children = type(el._children)((renamed.get(key, key), child) for key, child in el._children.items())
    return m


def render_offline(m: folium.Map, *, deterministic: bool = True, vendor_dir: Path | str | None = None) -> str:
    """Render a folium map to a self-contained HTML page.

    The map's figure is deep-copied before rendering, so ``m`` is not modified
    and rendering it again gives the same page (folium itself appends a
    render-time ``addTo``/``setIcon`` element on every render of the same map).

    Parameters
    ----------
    m : folium.Map
        The map to render (its whole root figure is rendered).
    deterministic : bool, default True
        Give the copy's elements ids from :func:`stable_ids`, so the same map
        gives the same bytes.
    vendor_dir : path, optional
        Passed to :func:`inline_assets`.

    Returns
    -------
    str
        HTML with every script, stylesheet, image and font inline.

    Examples
    --------
    >>> import folium
    >>> m = folium.Map(location=[41.7, 44.8], zoom_start=6, tiles=None)
    >>> page = render_offline(m)
    >>> page == render_offline(m), "https://cdn" in page  # deterministic and offline
    (True, False)
    """
    root = copy.deepcopy(m.get_root())
    if deterministic:
        stable_ids(root)
    return inline_assets(root.render(), vendor_dir=vendor_dir)
