"""Where the bundled data lives; imports nothing heavy (the CLI's ``--data-path`` reads it).

The top-level ``geodata/`` folder of the repository is the source of truth. ``corridor/_geodata``
is a symbolic link to it, so the wheel carries a copy as package data (see ``pyproject.toml``)
and an editable install or a checkout reads the folder itself.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["PACKAGE_DIR", "bundled_geodata"]

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # corridor/, which holds _geodata, _vendor, _assets and data


def bundled_geodata() -> Path:
    """The geodata folder used by default: ``$CORRIDOR_GEODATA`` if set, else the one shipped with the package.

    Returns
    -------
    Path
        ``site-packages/corridor/_geodata`` when installed from a wheel; ``<checkout>/geodata``
        in a source checkout or an editable install.

    Examples
    --------
    >>> sorted(p.name for p in bundled_geodata().glob("*.geojson"))
    ['basemap.geojson', 'edges.geojson', 'nodes.geojson']
    """
    env = os.environ.get("CORRIDOR_GEODATA")
    if env:
        return Path(env)
    shipped = PACKAGE_DIR / "_geodata"
    if shipped.is_dir():
        return shipped.resolve()  # the checkout's geodata/ when this is the symlink
    return PACKAGE_DIR.parent / "geodata"  # a checkout where the symlink did not survive (e.g. Windows)
