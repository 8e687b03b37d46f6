"""Site plans in the command view, in Chromium: an enterprise operator uploads a plan, places it by clicking
points on the plan and on the map, reads the residuals, sees it placed, writes its layer and sets its
opacity, in the interface's default language (Chinese); what the map holds is read back from MapLibre.

The plan is the dotted test plan of ``tests.plant_plans.raster_plans`` (1000 × 700 px, 2 m per pixel,
rotated 20°), whose true place is known: the map is clicked where the truth puts each chosen pixel, so the
fit's residuals are those of clicking on screen pixels, and the image's corners on the map are the truth's.
"""

from __future__ import annotations

import math

import pytest

from tests.plant_plans.raster_plans import make_plan
from tests.web.test_browser import api, browser, screenshot, server, sign_in  # noqa: F401 (fixtures)

# pixels of the plan (fractions of its width and height) clicked as control points: well spread
CHOSEN = [(0.1, 0.1), (0.9, 0.12), (0.85, 0.9), (0.12, 0.85)]
METRES_PER_DEGREE = 111_320.0
WIDE = {"width": 1600, "height": 900}  # room for the map beside the layers, alarms and georeferencing panels


def click_plan(page, fx: float, fy: float) -> None:
    """Click the plan's image at these fractions of its size."""
    image = page.locator(".georef-image img")
    page.wait_for_function("document.querySelector('.georef-image img').complete")
    box = image.bounding_box()
    page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])


def click_map(page, lon: float, lat: float) -> None:
    """Click the map where it draws (lon, lat)."""
    x, y = page.evaluate(
        "([lon, lat]) => { const p = window.hazmap.handle.map.project([lon, lat]); return [p.x, p.y]; }", [lon, lat]
    )
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


def style(page, layer: str, kind: str, name: str):
    """A paint or layout property (``kind``: Paint, Layout) of a map layer, as MapLibre holds it."""
    return page.evaluate(f"window.hazmap.handle.map.get{kind}Property('{layer}', '{name}')")


def test_an_operator_uploads_places_and_writes_a_plan_and_sets_its_opacity(browser, server, tmp_path):  # noqa: F811
    plan_image = make_plan(tmp_path)
    page = sign_in(browser, server, "operator", "/", viewport=WIDE)
    page.wait_for_selector(".plans .plans-add")
    page.click(".plans .plans-add")
    page.set_input_files(".plans-upload input[type=file]", str(plan_image.path))
    assert page.locator(".plans-upload input[name=name]").input_value() == plan_image.path.stem
    page.click(".plans-upload button[type=submit]")
    page.wait_for_selector(".georef:not([hidden]) .georef-image img")
    page.wait_for_function("document.querySelector('.georef-image img').complete")
    plan = page.evaluate("window.hazmap.handle.georef.plan")
    assert (plan["width"], plan["height"], plan["status"]) == (1000, 700, "uploaded")
    assert page.locator(".georef h2").inner_text().endswith(plan_image.path.stem)

    # the map is at the plan's true place, so that every chosen point can be clicked on it
    centre = [float(v) for v in plan_image.truth(plan_image.width / 2, plan_image.height / 2)]
    page.evaluate("(c) => window.hazmap.handle.map.jumpTo({center: c, zoom: 14})", centre)

    # a map click before a plan click places nothing and says what to do
    click_map(page, *centre)
    assert "请先在平面图上点击一点" in page.locator(".georef-message").inner_text()
    assert page.locator(".georef-points tbody tr").count() == 0

    for number, (fx, fy) in enumerate(CHOSEN, start=1):
        click_plan(page, fx, fy)
        assert page.locator(".georef-mark.pending").count() == 1
        lon, lat = (float(v) for v in plan_image.truth(fx * plan_image.width, fy * plan_image.height))
        click_map(page, lon, lat)
        page.wait_for_function("(n) => document.querySelectorAll('.georef-points tbody tr').length === n", arg=number)
        if number < 3:
            assert "至少需要 3 个控制点" in page.locator(".georef").inner_text()
    page.wait_for_selector(".georef-rms")
    page.wait_for_function("document.querySelectorAll('.georef-points td.residual-m')[3].textContent !== '—'")

    # what the server stored: the pixels clicked (to a display pixel of the reduced image) and the places
    stored = api(page, f"/app/plans/{plan['id']}/control-points")
    assert stored["crs"] == "EPSG:4326" and stored["transform"] == "affine"
    report = stored["report"]
    shown = page.evaluate("document.querySelector('.georef-image img').clientWidth")
    pixel_of_display = plan_image.width / shown  # plan pixels per screen pixel
    for point, (fx, fy) in zip(report["points"], CHOSEN, strict=True):
        assert abs(point["col"] - fx * plan_image.width) <= pixel_of_display
        assert abs(point["row"] - fy * plan_image.height) <= pixel_of_display
    # each click is off by at most half a screen pixel: of the image (pixel_of_display × 2 m per plan pixel)
    # and of the map (Web Mercator at zoom 14: 156,543 m · cos φ / 2¹⁴ per pixel), so is every residual
    map_m = 156_543.03 * math.cos(math.radians(centre[1])) / 2**14
    bound_m = 0.5 * pixel_of_display * plan_image.pixel_m + 0.5 * map_m
    assert 0 < report["rms_m"] < bound_m
    rows = page.locator(".georef-points tbody tr")
    assert rows.count() == 4 and page.locator(".georef-mark.placed").count() == 4
    assert page.locator(".georef-rms").inner_text().startswith("中误差")

    # the plan is drawn where the fit puts it before anything is written: its corners are the truth's
    corners = page.evaluate("window.hazmap.handle.map.getSource('plan-preview').coordinates")
    truth = [plan_image.truth(c, r) for c, r in ((0, 0), (1000, 0), (1000, 700), (0, 700))]
    for (lon, lat), (t_lon, t_lat) in zip(corners, truth, strict=True):
        off_m = math.hypot(
            (lon - t_lon) * METRES_PER_DEGREE * math.cos(math.radians(lat)), (lat - t_lat) * METRES_PER_DEGREE
        )
        assert off_m < 30  # corners extrapolate the clicks' error, a few metres each
    screenshot(page, "command-georef")

    # removing a point fits the three left; adding it back fits four again
    rows.nth(3).locator("button").click()
    page.wait_for_function("document.querySelectorAll('.georef-points tbody tr').length === 3")
    page.wait_for_selector(".georef-rms small")  # exactly determined: the residuals say nothing
    fx, fy = CHOSEN[3]
    click_plan(page, fx, fy)
    click_map(page, *(float(v) for v in plan_image.truth(fx * plan_image.width, fy * plan_image.height)))
    page.wait_for_function("document.querySelectorAll('.georef-points tbody tr').length === 4")
    page.wait_for_function(
        "!document.querySelector('.georef-rms small') && !document.querySelector('.georef-write').disabled"
    )

    # writing the layer: progress, then the plan is an overlay under the vector layers
    with page.expect_response(lambda r: r.url.endswith(f"/app/plans/{plan['id']}/cog")) as posted:
        page.click(".georef-write")
    assert posted.value.status == 202
    page.wait_for_function("document.querySelector('.georef-message')?.textContent.startsWith('已生成')", timeout=30000)
    layer = f"plan-{plan['id']}"
    page.wait_for_function("(id) => !!window.hazmap.handle.map.getLayer(id)", arg=layer)
    assert page.evaluate("window.hazmap.handle.map.getSource('plan-preview')") is None
    order = page.evaluate("window.hazmap.handle.map.getStyle().layers.map((l) => l.id)")
    assert order.index("enterprises-fill") < order.index(layer) < order.index("sensitive-targets-fill")
    with page.expect_response(lambda r: f"/tiles/plans/{plan['id']}/" in r.url and r.status == 200):
        page.evaluate(
            "(id) => window.hazmap.handle.plans.zoomTo(window.hazmap.handle.plans.plans.find((p) => p.id === id))",
            plan["id"],
        )
    assert api(page, f"/app/plans/{plan['id']}")["status"] == "ready"

    # the layers panel switches it and sets its opacity, and the browser remembers both
    page.click(".georef .close")
    entry = page.locator(f".plan-list li[data-plan='{plan['id']}']")
    entry.locator("input[type=range]").fill("0.3")
    assert style(page, layer, "Paint", "raster-opacity") == pytest.approx(0.3)
    assert entry.locator(".plan-opacity").inner_text() == "30%"
    entry.locator("input[type=checkbox]").uncheck()
    assert style(page, layer, "Layout", "visibility") == "none"
    page.reload()
    page.wait_for_function("(id) => window.hazmap?.handle?.map?.getLayer(id)", arg=layer, timeout=20000)
    assert style(page, layer, "Layout", "visibility") == "none"
    assert style(page, layer, "Paint", "raster-opacity") == pytest.approx(0.3)
    page.context.close()


def test_a_file_that_is_not_a_plan_is_refused_in_the_form_with_the_server_reason(browser, server, tmp_path):  # noqa: F811
    text = tmp_path / "notes.png"
    text.write_text("not an image at all")
    page = sign_in(browser, server, "operator", "/")
    page.click(".plans .plans-add")
    page.set_input_files(".plans-upload input[type=file]", str(text))
    page.click(".plans-upload button[type=submit]")
    page.wait_for_selector(".plans-status[data-error=true]")
    message = page.locator(".plans-status").inner_text()
    assert "PNG" in message and page.locator(".georef").is_hidden()
    assert all(p["original_name"] != "notes.png" for p in api(page, "/app/plans")["plans"])  # nothing kept
    page.context.close()
