"""The basemap the map draws beneath hazmap's own layers, from the environment (README "Settings").

None by default: the map's offline style needs no internet. ``HAZMAP_BASEMAP`` chooses one:

- ``tianditu``: Tianditu's vector map and its labels (``vec_w`` + ``cva_w``, the Web Mercator "w"
  tile matrix set) through the WMTS GetTile URL on the subdomains t0–t7, with the developer key
  ``HAZMAP_TIANDITU_KEY`` (``tk``). Tianditu is CGCS2000, taken as WGS 84 (workspace
  data/coordinates.md §1 and §3);
- an XYZ or WMTS URL template with ``{z}``, ``{x}`` and ``{y}`` (256-pixel Web Mercator tiles, e.g.
  ``…&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}`` for a WMTS in KVP form).

``HAZMAP_BASEMAP_COORDS`` says which coordinates the tiles are drawn in: ``wgs84`` (the default) or
``gcj02`` (AMap, Tencent): the front end then redraws each tile in WGS 84 (frontend/src/map/basemap.ts);
stored data is never shifted. ``HAZMAP_BASEMAP_ATTRIBUTION`` is the credit shown on the map.

What the front end receives with its session (``web.views.session_data``)::

    {"layers": [{"name": "vec", "tiles": [url, …], "minzoom": 1, "maxzoom": 18}, …],  # bottom first
     "coords": "wgs84" | "gcj02", "attribution": "…"}
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote, urlsplit

from django.core.exceptions import ImproperlyConfigured

TIANDITU_URL = (
    "https://t{n}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={layer}"
    "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)
TIANDITU_LAYERS = ("vec", "cva")  # the vector map, then its labels (注记) drawn over it
TIANDITU_SUBDOMAINS = range(8)  # t0 … t7
TIANDITU_ATTRIBUTION = "天地图 © 国家地理信息公共服务平台"
COORDS = ("wgs84", "gcj02")
MAXZOOM = 18  # the deepest level asked for; MapLibre enlarges level 18 beyond it


def configured(environ: Mapping[str, str]) -> dict | None:
    """The basemap ``environ`` configures (see the module docstring), or None for the offline map.

    Raises ``ImproperlyConfigured`` naming the variable and what is valid, so a wrong setting stops
    the server at start rather than showing an empty map.
    """
    kind = environ.get("HAZMAP_BASEMAP", "").strip()
    coords = environ.get("HAZMAP_BASEMAP_COORDS", "").strip().lower() or "wgs84"
    attribution = environ.get("HAZMAP_BASEMAP_ATTRIBUTION", "").strip()
    if coords not in COORDS:
        raise ImproperlyConfigured(f"HAZMAP_BASEMAP_COORDS={coords!r} is not one of {', '.join(COORDS)}")
    if not kind:
        return None
    if kind == "tianditu":
        key = environ.get("HAZMAP_TIANDITU_KEY", "").strip()
        if not key:
            raise ImproperlyConfigured(
                "HAZMAP_BASEMAP=tianditu needs HAZMAP_TIANDITU_KEY, the developer key (tk) from tianditu.gov.cn"
            )
        if coords != "wgs84":
            raise ImproperlyConfigured(
                "Tianditu's tiles are CGCS2000 (≈ WGS 84): leave HAZMAP_BASEMAP_COORDS at wgs84 for tianditu"
            )
        layers = [
            {
                "name": layer,
                "tiles": [TIANDITU_URL.format(n=n, layer=layer, key=quote(key, safe="")) for n in TIANDITU_SUBDOMAINS],
                "minzoom": 1,  # Tianditu's "w" matrix set starts at level 1
                "maxzoom": MAXZOOM,
            }
            for layer in TIANDITU_LAYERS
        ]
        return {"layers": layers, "coords": coords, "attribution": attribution or TIANDITU_ATTRIBUTION}
    url = urlsplit(kind)
    missing = [name for name in ("{z}", "{x}", "{y}") if name not in kind]
    if url.scheme not in ("http", "https") or not url.netloc or missing:
        raise ImproperlyConfigured(
            f"HAZMAP_BASEMAP={kind!r} is neither empty, “tianditu”, nor an http(s) URL template with "
            f"{{z}}, {{x}} and {{y}}" + (f" (it lacks {', '.join(missing)})" if missing else "")
        )
    layer = {"name": "tiles", "tiles": [kind], "minzoom": 0, "maxzoom": MAXZOOM}
    return {"layers": [layer], "coords": coords, "attribution": attribution}
