"""An enterprise's construction grid (``/app/enterprises/{id}/construction-grid``) and control points in GRID.

The grid's (A, B) of each control point are worked out here from the survey formula of the workspace's
coordinates.md §4 — A = (X−X₀)·cos α + (Y−Y₀)·sin α, B = −(X−X₀)·sin α + (Y−Y₀)·cos α, X northing and Y
easting — on pyproj's survey coordinates, not through hazmap's own grid code.
"""

from __future__ import annotations

import json
import math

import pyproj
import pytest

from geo.models import ConstructionGridDefinition, SitePlan
from tests.plant_plans.raster_plans import CORNERS_AND_MORE, SITE
from tests.web.test_plans import english, put_points, signed_in


@pytest.fixture
def client():
    return english()


SURVEY = 4549  # CGCS2000 / 3-degree Gauss-Kruger CM 120E, the zone of the test site (121.33° E)
AZIMUTH_DEG = 30.0
TO_SURVEY = pyproj.Transformer.from_crs(4326, SURVEY, always_xy=True)
ORIGIN_E, ORIGIN_N = TO_SURVEY.transform(*SITE)


def grid_body(**change) -> dict:
    return {"survey_crs": f"EPSG:{SURVEY}", "x0_m": ORIGIN_N, "y0_m": ORIGIN_E, "azimuth_deg": AZIMUTH_DEG, **change}


def put_grid(client, enterprise_id: int, body: dict):
    return client.put(
        f"/app/enterprises/{enterprise_id}/construction-grid", json.dumps(body), content_type="application/json"
    )


def in_grid(lon: float, lat: float) -> tuple[float, float]:
    easting, northing = TO_SURVEY.transform(lon, lat)
    dx, dy, alpha = northing - ORIGIN_N, easting - ORIGIN_E, math.radians(AZIMUTH_DEG)
    return dx * math.cos(alpha) + dy * math.sin(alpha), -dx * math.sin(alpha) + dy * math.cos(alpha)


def test_an_enterprise_gets_a_grid_whose_origin_lies_where_it_was_put(client, plan_world):
    e1 = plan_world["enterprises"][0]
    signed_in(client, plan_world["users"]["operator"])
    answer = put_grid(client, e1.pk, grid_body(source="总平面布置图 设计说明"))
    assert answer.status_code == 200, answer.json()
    data = answer.json()
    assert (data["survey_crs"], data["azimuth_deg"], data["a0_m"], data["scale"]) == ("EPSG:4549", 30.0, 0.0, 1.0)
    assert data["origin_lonlat"] == pytest.approx(list(SITE), abs=1e-9)
    assert client.get(f"/app/enterprises/{e1.pk}/construction-grid").json() == data
    assert put_grid(client, e1.pk, grid_body(azimuth_deg=45.0)).json()["azimuth_deg"] == 45.0  # replaced
    assert ConstructionGridDefinition.objects.filter(enterprise=e1).count() == 1
    assert client.delete(f"/app/enterprises/{e1.pk}/construction-grid").status_code == 204
    gone = client.get(f"/app/enterprises/{e1.pk}/construction-grid")
    assert gone.status_code == 404 and "has no construction grid" in gone.json()["description"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"survey_crs": "EPSG:4326"},
            "A construction grid lies in a projected survey CRS (e.g. EPSG:4547), not EPSG:4326.",
        ),
        ({"survey_crs": "EPSG:2000000"}, "“EPSG:2000000” is not a CRS code"),
        ({"scale": 0}, "A construction grid needs finite X0, Y0, azimuth, A0, B0 and a scale > 0."),
        ({"x0_m": "north"}, "x0_m must be a number, not “north”."),
        ({"x0_m": None}, "x0_m must be a number."),
        ({"rotation": 30}, "Unknown field “rotation”"),
    ],
)
def test_a_grid_that_cannot_be_placed_is_refused_and_nothing_is_stored(client, plan_world, change, message):
    e1 = plan_world["enterprises"][0]
    signed_in(client, plan_world["users"]["operator"])
    answer = put_grid(client, e1.pk, grid_body(**change))
    assert answer.status_code == 400
    assert message in answer.json()["description"]
    assert not ConstructionGridDefinition.objects.exists()


def test_a_grid_needs_its_origin_and_azimuth_and_an_enterprise_in_scope(client, plan_world):
    e1, _, e3 = plan_world["enterprises"]
    signed_in(client, plan_world["users"]["operator"])
    missing = put_grid(client, e1.pk, {"survey_crs": "EPSG:4549", "x0_m": 1.0})
    assert missing.status_code == 400
    assert missing.json()["description"] == "A construction grid needs y0_m, azimuth_deg."
    assert put_grid(client, e3.pk, grid_body()).status_code == 404  # another province's enterprise
    assert client.post(f"/app/enterprises/{e1.pk}/construction-grid").status_code == 405


def test_control_points_given_in_the_grid_place_the_plan(client, uploaded):
    pk, plan_image = uploaded
    plan = SitePlan.objects.get(pk=pk)
    points = []
    for p in plan_image.control_points(CORNERS_AND_MORE[:4]):
        a, b = in_grid(p.x, p.y)
        points.append({"col": p.col, "row": p.row, "x": a, "y": b})
    body = {"crs": "GRID", "transform": "affine", "points": points}

    refused = put_points(client, pk, body)  # no grid yet
    assert refused.status_code == 400
    assert "this enterprise has none defined" in refused.json()["description"]
    assert SitePlan.objects.get(pk=pk).control_points == []

    assert put_grid(client, plan.enterprise_id, grid_body()).status_code == 200
    answer = put_points(client, pk, body)
    assert answer.status_code == 200, answer.json()
    report = answer.json()["report"]
    assert report["crs"] == "GRID" and report["rms_m"] < 1e-3 and report["rms_px"] < 1e-3
    assert report["pixel_size_m"] == pytest.approx(2.0, rel=1e-6)  # the test plan's 2 m pixels
    assert client.get(f"/app/plans/{pk}/control-points").json()["report"] == report  # stored, refitted alike
