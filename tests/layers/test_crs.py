"""OGC API – Features Part 2: features in CRS84, EPSG:4326, EPSG:4490 and EPSG:3857, bounding boxes in each.

Golden numbers: EPSG:4326 and EPSG:4490 list latitude first (EPSG registry, axis order of both
geographic CRSs); Web Mercator is x = a·λ, y = a·ln tan(π/4 + φ/2) with a = 6 378 137 m (IOGP
Guidance Note 7-2, method 1024 "Popular Visualisation Pseudo Mercator").
"""

from __future__ import annotations

import math

import pytest

from tests.factories import LAT, LON

pytestmark = pytest.mark.django_db

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
A = 6_378_137.0


def mercator(lon: float, lat: float) -> tuple[float, float]:
    return A * math.radians(lon), A * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def coordinates(client, crs: str, **params) -> list[float]:
    response = client.get("collections/sensors/items", {"tag": "LT-101", "crs": crs, **params})
    assert response.status_code == 200, response.json()
    assert response["Content-Crs"] == f"<{crs}>"
    (feature,) = response.json()["features"]
    return feature["geometry"]["coordinates"]


def test_crs84_is_longitude_first(world, as_user):
    assert coordinates(as_user("root"), CRS84) == pytest.approx([LON, LAT], abs=1e-8)


@pytest.mark.parametrize("code", ["4326", "4490"])
def test_epsg_4326_and_4490_are_latitude_first(world, as_user, code):
    assert coordinates(as_user("root"), EPSG + code) == pytest.approx([LAT, LON], abs=1e-8)


def test_web_mercator_is_in_metres(world, as_user):
    assert coordinates(as_user("root"), EPSG + "3857") == pytest.approx(mercator(LON, LAT), abs=0.01)


def test_one_item_in_another_crs(world, as_user):
    response = as_user("root").get(f"collections/sensors/items/{world['level'].pk}", {"crs": EPSG + "4326"})
    assert response["Content-Crs"] == f"<{EPSG}4326>"
    assert response.json()["geometry"]["coordinates"] == pytest.approx([LAT, LON], abs=1e-8)


@pytest.mark.parametrize(
    ("bbox_crs", "corners"),
    [
        (CRS84, (LON - 0.001, LAT - 0.001, LON + 0.001, LAT + 0.001)),
        (EPSG + "4326", (LAT - 0.001, LON - 0.001, LAT + 0.001, LON + 0.001)),
        (EPSG + "4490", (LAT - 0.001, LON - 0.001, LAT + 0.001, LON + 0.001)),
        (EPSG + "3857", (*mercator(LON - 0.001, LAT - 0.001), *mercator(LON + 0.001, LAT + 0.001))),
    ],
)
def test_bbox_crs_reads_the_box_in_that_crs_and_its_axis_order(world, as_user, bbox_crs, corners):
    response = as_user("root").get(
        "collections/sensors/items", {"bbox": ",".join(map(str, corners)), "bbox-crs": bbox_crs}
    )
    assert response.status_code == 200, response.json()
    assert {f["properties"]["tag"] for f in response.json()["features"]} == {"LT-101", "AT-201"}


@pytest.mark.parametrize(
    ("params", "culprit"),
    [
        ({"crs": "EPSG:4326"}, "crs"),
        ({"crs": EPSG + "32651"}, "crs"),
        ({"bbox": "121,30,122,31", "bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/9999"}, "bbox-crs"),
        ({"bbox-crs": CRS84}, "bbox-crs"),
        ({"filter": "S_INTERSECTS(geometry, POINT(121 30))", "filter-crs": "EPSG:3857"}, "filter-crs"),
    ],
)
def test_a_crs_the_api_does_not_offer_is_a_400_naming_the_parameter(world, as_user, params, culprit):
    response = as_user("root").get("collections/sensors/items", params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "InvalidParameterValue"
    assert body["description"].startswith(culprit + " "), body["description"]
