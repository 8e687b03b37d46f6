"""pygeoapi's configuration, generated from the collection registry (there is no YAML copy to keep).

``api(base_url, signed_in)`` gives the pygeoapi ``API`` object for one public base URL (the links
in every response are absolute) and one audience: anonymous clients are described only the public
collections, signed-in users every collection and the processes. Objects are built once per
(base URL, audience) and kept; the allowed host names bound how many there are.

pygeoapi 0.21 renders HTML with a translated copy of the configuration that it keeps once per
language (``l10n._cfg_cache``), whichever ``API`` it came from: after an anonymous visitor's page,
a signed-in user's page of a non-public collection failed (a 500), and every page carried the first
host's URL. ``rendering_for(api)`` makes that copy one per API and language (``PerApiCache``).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextvars import ContextVar

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from pygeoapi import l10n
from pygeoapi.api import API

from layers import crs, openapi
from layers.params import DEFAULT_LIMIT, MAX_LIMIT
from layers.processes import PROCESSES
from layers.registry import COLLECTIONS

PROVIDER = "layers.provider.RegistryProvider"
# Mainland China, Hainan and the South China Sea islands in CRS84 (west, south, east, north).
CHINA_BBOX = [73.4, 3.3, 135.1, 53.6]
LANGUAGES = {"zh": "zh-hans", "en-US": "en"}  # pygeoapi locale → Django language ("zh-CN" breaks its fallback)


def translations(text) -> dict[str, str]:
    """``text`` (a lazy translation) in every language of the API, as pygeoapi's language struct."""
    out = {}
    for locale, language in LANGUAGES.items():
        with translation.override(language):
            out[locale] = str(text)
    return out


def resources(signed_in: bool) -> dict:
    """pygeoapi's ``resources``: one collection per registry entry the audience may use, and the processes."""
    out = {}
    for entry in COLLECTIONS.values():
        if not (entry.public or signed_in):
            continue
        provider = {
            "type": "feature",
            "name": PROVIDER,
            "data": entry.id,
            "id_field": "id",
            "crs": list(crs.SUPPORTED),
            "storage_crs": crs.STORAGE_CRS,
        }
        if entry.time_attribute:
            provider["time_field"] = entry.time_attribute
        out[entry.id] = {
            "type": "collection",
            "title": translations(entry.title),
            "description": entry.description,
            "keywords": list(entry.keywords) or [entry.id],
            "extents": {"spatial": {"bbox": CHINA_BBOX, "crs": crs.CRS84}},
            "limits": {"default_items": DEFAULT_LIMIT, "max_items": MAX_LIMIT, "on_exceed": "throttle"},
            "providers": [provider],
        }
    if signed_in:
        for process_id, processor in PROCESSES.items():
            out[process_id] = {"type": "process", "processor": {"name": f"{processor.__module__}.{processor.__name__}"}}
    return out


def configuration(base_url: str, signed_in: bool) -> dict:
    """The whole pygeoapi configuration for ``base_url`` (e.g. ``http://127.0.0.1:8000/ogc``)."""
    return {
        "server": {
            "url": base_url,
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "languages": list(LANGUAGES),
            "pretty_print": False,
            "limits": {"default_items": DEFAULT_LIMIT, "max_items": MAX_LIMIT, "on_exceed": "throttle"},
            "map": {
                "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                "attribution": "&copy; OpenStreetMap contributors",
            },
            "manager": {"name": "Dummy", "connection": None, "output_dir": None},
        },
        "logging": {"level": "WARNING"},
        "metadata": {
            "identification": {
                "title": translations(_("hazmap: major hazard sources of hazardous chemicals")),
                "description": translations(
                    _(
                        "Enterprises, major hazard sources, equipment, sensors with their live values, alarms, "
                        "personnel, fences, consequence zones, emergency resources and sensitive targets."
                    )
                ),
                "keywords": ["GB 18218-2018", "hazardous chemicals", "major hazard sources", "emergency response"],
                "keywords_type": "theme",
                "terms_of_service": "https://www.apache.org/licenses/LICENSE-2.0",
                "url": base_url,
            },
            "license": {"name": "Apache-2.0", "url": "https://www.apache.org/licenses/LICENSE-2.0"},
            "provider": {"name": "hazmap", "url": base_url},
            "contact": {"name": "hazmap", "position": "", "email": "", "url": base_url, "role": "pointOfContact"},
        },
        "resources": resources(signed_in),
    }


_apis: dict[tuple[str, bool], API] = {}
_lock = threading.Lock()


def api(base_url: str, signed_in: bool) -> API:
    """The pygeoapi ``API`` for ``base_url`` and the audience (built on first use, then kept)."""
    key = (base_url, signed_in)
    with _lock:
        if key not in _apis:
            config = configuration(base_url, signed_in)
            _apis[key] = API(config, openapi.document(config))
        return _apis[key]


_rendering: ContextVar[int] = ContextVar("hazmap_pygeoapi_api", default=0)


class PerApiCache(dict):
    """pygeoapi's cache of translated configurations, keyed by (the API rendering, language) instead of
    the language alone; the API is the one of the enclosing ``rendering_for``."""

    def get(self, locale, default=None):
        return super().get((_rendering.get(), locale), default)

    def __setitem__(self, locale, value) -> None:
        super().__setitem__((_rendering.get(), locale), value)


l10n._cfg_cache = PerApiCache()


@contextlib.contextmanager
def rendering_for(api: API) -> Iterator[None]:
    """HTML rendered inside uses the configuration of ``api`` (its collections, its base URL)."""
    token = _rendering.set(id(api))
    try:
        yield
    finally:
        _rendering.reset(token)
