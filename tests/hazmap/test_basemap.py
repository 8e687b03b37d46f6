"""The basemap settings: offline by default, Tianditu's documented WMTS URLs, a URL template, refusals at start.

The Tianditu URL is the one in the workspace's data/coordinates.md §3 (SuperMap iClient's
``ol.source.Tianditu`` and the published examples), for the Web Mercator "w" matrix set.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from hazmap.basemap import configured
from web.views import session_data


def test_no_basemap_is_configured_by_default_so_the_map_needs_no_internet():
    assert configured({}) is None
    assert configured({"HAZMAP_BASEMAP": "", "HAZMAP_BASEMAP_COORDS": "wgs84"}) is None


def test_tianditu_is_its_vector_map_under_its_labels_on_t0_to_t7_of_the_w_matrix_set():
    basemap = configured({"HAZMAP_BASEMAP": "tianditu", "HAZMAP_TIANDITU_KEY": "0123abcd"})
    assert [layer["name"] for layer in basemap["layers"]] == ["vec", "cva"]  # labels drawn over the map
    vec = basemap["layers"][0]
    assert len(vec["tiles"]) == 8
    assert vec["tiles"][0] == (
        "https://t0.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default"
        "&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=0123abcd"
    )
    assert vec["tiles"][7].startswith("https://t7.tianditu.gov.cn/vec_w/wmts?")
    assert basemap["layers"][1]["tiles"][3].startswith("https://t3.tianditu.gov.cn/cva_w/wmts?")
    assert "LAYER=cva&" in basemap["layers"][1]["tiles"][3]
    assert (vec["minzoom"], vec["maxzoom"]) == (1, 18)  # the "w" set starts at level 1
    assert basemap["coords"] == "wgs84"  # CGCS2000, taken as WGS 84
    assert basemap["attribution"] == "天地图 © 国家地理信息公共服务平台"


def test_a_url_template_is_one_layer_in_the_coordinates_and_with_the_credit_configured():
    url = "https://webrd01.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
    basemap = configured(
        {"HAZMAP_BASEMAP": url, "HAZMAP_BASEMAP_COORDS": "GCJ02", "HAZMAP_BASEMAP_ATTRIBUTION": "© 高德地图"}
    )
    assert basemap == {
        "layers": [{"name": "tiles", "tiles": [url], "minzoom": 0, "maxzoom": 18}],
        "coords": "gcj02",
        "attribution": "© 高德地图",
    }


@pytest.mark.parametrize(
    ("environ", "says"),
    [
        ({"HAZMAP_BASEMAP": "tianditu"}, "HAZMAP_TIANDITU_KEY"),
        ({"HAZMAP_BASEMAP": "tianditu", "HAZMAP_TIANDITU_KEY": "k", "HAZMAP_BASEMAP_COORDS": "gcj02"}, "wgs84"),
        ({"HAZMAP_BASEMAP": "amap"}, "URL template"),
        ({"HAZMAP_BASEMAP": "https://tiles.example.cn/{z}/{x}.png"}, "lacks {y}"),
        ({"HAZMAP_BASEMAP": "ftp://tiles.example.cn/{z}/{x}/{y}.png"}, "http(s)"),
        ({"HAZMAP_BASEMAP_COORDS": "bd09"}, "wgs84, gcj02"),
    ],
)
def test_a_wrong_basemap_setting_stops_the_server_at_start_naming_what_is_valid(environ, says):
    with pytest.raises(ImproperlyConfigured, match=r".*" + says.replace("(", r"\(").replace(")", r"\)")):
        configured(environ)


@pytest.mark.django_db
def test_the_page_hands_the_configured_basemap_to_the_front_end(rf, settings, django_user_model):
    settings.BASEMAP = configured({"HAZMAP_BASEMAP": "https://tiles.example.cn/{z}/{x}/{y}.png"})
    request = rf.get("/")
    request.user = django_user_model.objects.create_user("planner", password="x", role="planner")
    assert session_data(request)["basemap"]["layers"][0]["tiles"] == ["https://tiles.example.cn/{z}/{x}/{y}.png"]
    settings.BASEMAP = None
    assert session_data(request)["basemap"] is None
