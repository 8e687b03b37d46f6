"""Georeferencing: fits and their residuals, refusals, and the COG that recovers a known transform.

A plan written by GDAL (rasterio's PNG driver) is georeferenced from control points taken on its true
transform (``plans.py``), warped to a COG, and its dots found again in the COG (``scipy.ndimage``):
their true pixel positions come back within 1 px RMS (affine and second order).
"""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
import rasterio
import scipy.ndimage
import shapely

from plant_plans import coords, georef
from plant_plans.errors import ControlPointError, CRSError
from plant_plans.georef import ControlPoint
from tests.plant_plans.raster_plans import CORNERS_AND_MORE, make_plan


def dots_in_cog(path) -> np.ndarray:
    """Longitude, latitude of the centre of each dark dot of a plan COG (full resolution)."""
    with rasterio.open(path) as cog:
        assert cog.crs.to_epsg() == 3857
        pixels = cog.read()
        transform = cog.transform
    dark = (pixels[0] < 128) & (pixels[3] == 255)
    labels, count = scipy.ndimage.label(dark)
    centres = np.array(scipy.ndimage.center_of_mass(dark, labels, range(1, count + 1)))  # (row, col)
    x, y = transform @ (centres[:, 1] + 0.5, centres[:, 0] + 0.5)
    lon, lat = pyproj.Transformer.from_crs(3857, 4326, always_xy=True).transform(x, y)
    return np.column_stack([lon, lat])


def recovery_rms_px(plan, cog_path) -> float:
    found = dots_in_cog(cog_path)
    assert len(found) == len(plan.dots)
    col, row = plan.pixel_of(found[:, 0], found[:, 1])
    errors = []
    for c, r in zip(col, row, strict=True):
        nearest = plan.dots[np.argmin(np.hypot(plan.dots[:, 0] - c, plan.dots[:, 1] - r))]
        errors.append((c - nearest[0], r - nearest[1]))
    return float(np.sqrt(np.mean(np.sum(np.square(errors), axis=1))))


def test_affine_plan_from_gcj02_points_is_recovered_within_a_pixel(tmp_path):
    plan = make_plan(tmp_path, kind="affine")
    points = plan.control_points(CORNERS_AND_MORE[:4])
    gcj = [ControlPoint(p.col, p.row, *map(float, coords.wgs84_to_gcj02(p.x, p.y))) for p in points]
    fit = georef.fit(gcj, "GCJ02", "affine", plan.width, plan.height)
    assert fit.rms_m < 1e-4 and fit.rms_px < 1e-3  # the points are exact, GCJ-02 undone to < 0.1 mm
    assert fit.pixel_size_m == pytest.approx(plan.pixel_m, rel=1e-6)
    cog = georef.write_cog(fit, plan.path, tmp_path / "plan.tif")
    assert recovery_rms_px(plan, cog.path) < 1.0  # ≈ 0.1 px measured
    with rasterio.open(cog.path) as written:
        assert written.count == 4 and written.colorinterp[3].name == "alpha"
        assert written.overviews(1) and written.block_shapes[0] == (256, 256)
        assert written.read(4)[0, 0] == 0  # transparent outside the (rotated) plan
        assert written.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
    centre_lon, centre_lat = plan.truth(plan.width / 2, plan.height / 2)
    assert cog.outline.contains(shapely.Point(float(centre_lon), float(centre_lat)))
    assert cog.outline.area == pytest.approx(shapely.Polygon(plan_corners(plan)).area, rel=1e-3)


def plan_corners(plan):
    cols = [0, plan.width, plan.width, 0]
    rows = [0, 0, plan.height, plan.height]
    return list(zip(*plan.truth(cols, rows), strict=True))


def test_the_report_gives_the_image_corners_on_the_map_in_drawing_order(tmp_path):
    """Top-left, top-right, bottom-right, bottom-left in longitude, latitude: where the map draws the plan
    before its COG exists. The fit's points are exact (the plan's true transform), so are the corners."""
    plan = make_plan(tmp_path, kind="affine")
    fit = georef.fit(plan.control_points(CORNERS_AND_MORE[:4]), "EPSG:4326", "affine", plan.width, plan.height)
    corners = fit.report()["corners_lonlat"]
    truth = [float(v) for corner in plan_corners(plan) for v in corner]
    assert [v for corner in corners for v in corner] == pytest.approx(truth, abs=1e-7)  # ≈ 1 cm


def test_second_order_plan_is_recovered_within_a_pixel(tmp_path):
    plan = make_plan(tmp_path, kind="poly2")
    fit = georef.fit(plan.control_points(CORNERS_AND_MORE), "EPSG:4326", "poly2", plan.width, plan.height)
    assert fit.rms_px < 1e-3  # the truth is a second-order polynomial in the local CRS (to 1e-7)
    cog = georef.write_cog(fit, plan.path, tmp_path / "plan.tif")
    assert recovery_rms_px(plan, cog.path) < 1.0  # ≈ 0.1 px measured
    affine = georef.fit(plan.control_points(CORNERS_AND_MORE), "EPSG:4326", "affine", plan.width, plan.height)
    assert affine.rms_px > 0.5  # an affine cannot follow the bend: that is what poly2 is for


@pytest.mark.parametrize("crs", ["EPSG:4490", "EPSG:4547", "EPSG:4527", "EPSG:3857", "GCJ02", "BD09"])
def test_control_points_in_any_supported_crs_give_the_same_fit(tmp_path, crs):
    """The same true points given in CGCS2000 (geographic, 3° GK CM 114° E and zone 39), Web Mercator,
    GCJ-02 or BD-09: the same pixel size and orientation, residuals below 0.1 mm."""
    plan = make_plan(tmp_path)
    truth = plan.control_points(CORNERS_AND_MORE[:5])
    x, y = coords.transform([p.x for p in truth], [p.y for p in truth], "EPSG:4326", crs)
    points = [ControlPoint(p.col, p.row, float(a), float(b)) for p, a, b in zip(truth, x, y, strict=True)]
    fit = georef.fit(points, crs, "affine", plan.width, plan.height)
    reference = georef.fit(truth, "EPSG:4326", "affine", plan.width, plan.height)
    assert fit.rms_m < 1e-4
    assert fit.pixel_size_m == pytest.approx(reference.pixel_size_m, rel=1e-7)
    corner = fit.pixel_to_crs(plan.width, plan.height)
    assert tuple(map(float, corner)) == pytest.approx(tuple(map(float, plan.truth(plan.width, plan.height))), abs=1e-8)


def test_residual_report_golden_numbers():
    """Four corners of a square, exact but for point 1, placed 1 m too far east (EPSG:4547, on the CM).

    Least squares with the design [1, u, v] at u, v = ±1 has the hat matrix H = (1 + uᵢuⱼ + vᵢvⱼ)/4,
    so the east residuals (fitted − given) are −δ/4 at point 1, +δ/4 at its two neighbours and −δ/4 at
    the opposite corner: 0.25 m each, RMS 0.25 m; at 0.5 m/px that is 0.5 px (to first order).
    """
    x0, y0, s = 500_000.0, 3_410_000.0, 0.5  # easting, northing of pixel (0, 0); metres per pixel
    pixels = [(0.0, 0.0), (1000.0, 0.0), (1000.0, 1000.0), (0.0, 1000.0)]
    points = [ControlPoint(c, r, x0 + s * c + (1.0 if i == 0 else 0.0), y0 - s * r) for i, (c, r) in enumerate(pixels)]
    fit = georef.fit(points, "EPSG:4547", "affine", 1000, 1000)
    report = fit.report()
    assert report["redundancy"] == 1
    assert [p["dx_m"] for p in report["points"]] == pytest.approx([-0.25, 0.25, -0.25, 0.25], abs=1e-4)
    assert [p["dy_m"] for p in report["points"]] == pytest.approx([0, 0, 0, 0], abs=1e-4)
    assert [p["residual_px"] for p in report["points"]] == pytest.approx([0.5] * 4, abs=2e-3)
    assert report["rms_m"] == pytest.approx(0.25, abs=1e-4)
    assert report["rms_px"] == pytest.approx(0.5, abs=2e-3)
    assert report["pixel_size_m"] == pytest.approx(0.5, rel=1e-3)
    assert report["points"][0] | {} == report["points"][0]  # plain JSON-able values
    assert all(isinstance(v, int | float) for p in report["points"] for v in p.values())


def test_exactly_determined_fits_have_zero_residuals_and_say_so(tmp_path):
    plan = make_plan(tmp_path)
    fit = georef.fit(plan.control_points(CORNERS_AND_MORE[:3]), 4326, "affine", plan.width, plan.height)
    assert fit.redundancy == 0 and fit.rms_m < 1e-6


def test_pixel_and_local_round_trip_for_poly2(tmp_path):
    plan = make_plan(tmp_path, kind="poly2")
    fit = georef.fit(plan.control_points(CORNERS_AND_MORE), 4326, "poly2", plan.width, plan.height)
    cols, rows = np.meshgrid(np.linspace(0, plan.width, 11), np.linspace(0, plan.height, 11))
    back = fit.local_to_pixel(*fit.pixel_to_local(cols, rows))
    assert np.max(np.hypot(back[0] - cols, back[1] - rows)) < 1e-6


# --- refusals -------------------------------------------------------------------------------------

W, H = 1000, 700
GOOD = [
    ControlPoint(10, 10, 121.330, 30.810),
    ControlPoint(990, 20, 121.332, 30.8101),
    ControlPoint(500, 690, 121.331, 30.8085),
]


def refused(points, crs="EPSG:4326", kind="affine", width=W, height=H) -> str:
    with pytest.raises(ControlPointError) as error:
        georef.fit(points, crs, kind, width, height)
    assert isinstance(error.value, ValueError)
    return str(error.value)


def test_too_few_points():
    assert refused(GOOD[:2]) == "The affine transform needs at least 3 control points; 2 given."
    assert refused(GOOD, kind="poly2") == "The poly2 transform needs at least 6 control points; 3 given."
    assert refused([]) == "The affine transform needs at least 3 control points; 0 given."


def test_collinear_points_in_the_image_and_on_the_map():
    on_a_line = [
        ControlPoint(10 + i * 100, 10 + i * 50, 121.330 + i * 0.0003, 30.810 + i * 0.0001 * (i % 2)) for i in range(4)
    ]
    assert "lie (nearly) on one line in the image" in refused(on_a_line)
    nearly = [*GOOD[:2], ControlPoint(500, 17, 121.331, 30.8085)]  # 2 px off the line through the first two
    assert "on one line in the image" in refused(nearly)
    map_line = [ControlPoint(p.col, p.row, 121.330 + i * 0.001, 30.810 + i * 0.001) for i, p in enumerate(GOOD)]
    assert "lie (nearly) on one line on the map" in refused(map_line)


def test_duplicate_points():
    assert refused([*GOOD, ControlPoint(10.4, 10.3, 121.3305, 30.8095)]) == (
        "Control points 1 and 4 are at the same pixel: remove one."
    )
    assert refused([*GOOD, ControlPoint(300, 300, 121.332, 30.8101)]) == (
        "Control points 2 and 4 are at the same place on the map: remove one or correct it."
    )


def test_points_outside_the_image_or_not_on_earth():
    assert refused([*GOOD, ControlPoint(1200, 100, 121.3315, 30.809)]) == (
        "Control point 4 (col 1200, row 100) lies outside the 1000 × 700 image."
    )
    assert "Control point 1 (30.81, 121.33) is not a place in EPSG:4326." == refused(
        [ControlPoint(p.col, p.row, p.y, p.x) for p in GOOD]  # latitude and longitude swapped
    )
    assert refused([*GOOD[:2], ControlPoint(500, 690, float("nan"), 30.8)]) == (
        "Every control point needs finite numbers col, row, x and y."
    )


def test_points_spread_over_more_than_a_plant():
    far = [*GOOD[:2], ControlPoint(500, 690, 121.9, 30.5)]
    assert "spread over 55 km on the map; a plant plan covers at most 50 km" in refused(far)


def test_unknown_crs_and_transform_kind():
    with pytest.raises(CRSError, match=r"There is no CRS EPSG:999999\."):
        georef.fit(GOOD, "EPSG:999999")
    assert refused(GOOD, kind="cubic") == "transform must be affine or poly2, not “cubic”."


def test_poly2_points_on_one_conic():
    angles = np.radians(np.arange(0, 360, 60))
    circle = [
        ControlPoint(
            500 + 300 * np.cos(a), 350 + 300 * np.sin(a), 121.331 + 0.0006 * np.cos(a), 30.809 - 0.0005 * np.sin(a)
        )
        for a in angles
    ]
    assert "lie on one conic" in refused(circle, kind="poly2")


def test_poly2_that_folds_the_plan(tmp_path):
    plan = make_plan(tmp_path, kind="poly2")
    points = plan.control_points(CORNERS_AND_MORE[:6])
    swapped = [
        *points[:4],
        ControlPoint(points[4].col, points[4].row, points[5].x, points[5].y),
        ControlPoint(points[5].col, points[5].row, points[4].x, points[4].y),
    ]
    assert "folds the plan over itself" in refused(swapped, kind="poly2")


def test_write_cog_refuses_another_image_and_leaves_nothing(tmp_path):
    plan = make_plan(tmp_path)
    fit = georef.fit(plan.control_points(CORNERS_AND_MORE[:4]), 4326, "affine", plan.width + 10, plan.height)
    target = tmp_path / "out" / "plan.tif"
    with pytest.raises(ControlPointError, match="placed on a 1010 × 700 image, not this one"):
        georef.write_cog(fit, plan.path, target)
    assert not target.exists() and not any(p.name.startswith(".partial") for p in target.parent.glob("*"))


def test_native_zoom():
    assert georef.native_zoom(156543.03392804097) == 0  # one 256 px tile for the world
    assert georef.native_zoom(0.2986) == 19
    assert georef.native_zoom(0.25) == 20
