"""Site plans in the command view, in Chromium: an enterprise operator uploads a plan, places it by clicking
points on the plan and on the map, reads the residuals, sees it placed, writes its layer and sets its
opacity; and imports a CAD plan into the enterprise's layout, checks its mapping, and undoes it; in the
interface's default language (Chinese); what the map holds is read back from MapLibre.

The plan is the dotted test plan of ``tests.plant_plans.raster_plans`` (1000 × 700 px, 2 m per pixel,
rotated 20°), whose true place is known: the map is clicked where the truth puts each chosen pixel, so the
fit's residuals are those of clicking on screen pixels, and the image's corners on the map are the truth's.
"""

from __future__ import annotations

import math

import pyproj
import pytest
import shapely
import shapely.geometry

from tests.plant_plans.plans import write_dxf
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


def site_centre(page) -> tuple[int, float, float]:
    """The signed-in enterprise account's enterprise: its id and the centre (lon, lat) of its site."""
    enterprise = page.evaluate("JSON.parse(document.getElementById('hazmap-session').textContent).user.enterprise")
    site = api(page, f"/ogc/collections/enterprises/items/{enterprise['id']}?f=json")
    centre = shapely.geometry.shape(site["geometry"]).centroid
    return enterprise["id"], centre.x, centre.y


def around(lon: float, lat: float):
    """A function of metres east and north of (lon, lat) giving the longitude and latitude there."""
    local = pyproj.CRS.from_proj4(f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m")
    to_lonlat = pyproj.Transformer.from_crs(local, 4326, always_xy=True)
    return lambda x_m, y_m: to_lonlat.transform(x_m, y_m)


def test_an_operator_imports_a_cad_plan_checks_its_mapping_imports_it_and_undoes_it(browser, server, tmp_path):  # noqa: F811
    page = sign_in(browser, server, "operator", "/", viewport=WIDE)
    enterprise_id, lon, lat = site_centre(page)
    at = around(lon, lat)

    def ring(x_m: float, y_m: float, radius_m: float) -> shapely.LineString:  # a tank as CAD draws it
        points = [
            at(x_m + radius_m * math.cos(a / 12 * math.pi), y_m + radius_m * math.sin(a / 12 * math.pi))
            for a in range(24)
        ]
        return shapely.LineString([*points, points[0]])

    building = shapely.Polygon([at(x, y) for x, y in ((20, -40), (50, -40), (50, -20), (20, -20), (20, -40))])
    entities = [
        ("TANKS", ring(-30, 20, 6)),
        ("TANKS", ring(-10, 20, 6)),
        ("TANKS", ring(5000, 0, 6)),  # drawn 5 km away: outside the site, it cannot be imported
        ("BUILDINGS", building),
        ("ROADS", shapely.LineString([at(-60, 0), at(60, 0)])),
        ("DIM", shapely.Point(at(0, 0))),  # a dimension point no rule takes
    ]
    path = write_dxf(tmp_path / "总平面布置图.dxf", entities, 4549)  # CGCS2000 3° Gauss–Krüger, CM 120°E

    page.click(".plans .plans-import-vector")
    page.wait_for_selector(".vector-import:not([hidden]) .vector-upload")
    page.set_input_files(".vector-upload input[type=file]", str(path))
    page.fill(".vector-upload input[name=crs]", "EPSG:4549")
    page.click(".vector-upload button[type=submit]")
    page.wait_for_selector(".vector-layers tbody tr")
    assert page.locator(".vector-layers tbody tr").inner_text().split("\t")[:2] == ["entities", "6"]
    # the rules the DXF layers' names suggest: tanks, the building and the road; the dimension layer none
    rules = page.locator(".vector-rule")
    assert rules.count() == 3
    suggested = {
        rules.nth(i).locator(".vector-values input:checked").get_attribute("value"): (
            rules.nth(i).locator("select[name=kind]").input_value(),
            rules.nth(i).locator("select[name=name]").input_value(),
        )
        for i in range(3)
    }
    assert suggested == {
        "TANKS": ("tank", "EntityHandle"),
        "BUILDINGS": ("building", "EntityHandle"),
        "ROADS": ("road", "EntityHandle"),
    }
    assert page.locator(".vector-import-write").is_disabled()  # nothing is imported before a check

    # the check refuses the tank drawn far away, with its reason, and writes nothing
    page.click(".vector-dry-run")
    page.wait_for_selector(".vector-import .georef-message[data-error=true]")
    assert "1 个要素不能导入" in page.locator(".vector-import .georef-message").inner_text()
    assert page.locator(".vector-rejected li").count() == 1
    assert page.locator(".vector-import-write").is_disabled()

    # skipping it, the check counts what the import would write and draws a sample on the map
    page.check(".vector-skip input")
    page.click(".vector-dry-run")
    page.wait_for_function("!document.querySelector('.vector-import-write').disabled")
    figures = dict(
        zip(
            page.locator(".vector-check dt").all_inner_texts(),
            (int(v) for v in page.locator(".vector-check dd").all_inner_texts()),
            strict=True,
        )
    )
    assert figures == {"读取": 6, "未对应": 1, "将导入": 4, "不能导入": 1, "已修复几何": 0, "关联到设备或危险源": 0}
    assert (
        page.evaluate("window.hazmap.handle.map.getSource('vector-import-preview').serialize().data.features.length")
        == 4
    )
    screenshot(page, "command-vector-check")

    with page.expect_response(lambda r: r.url.endswith("/import") and r.request.method == "POST") as posted:
        page.click(".vector-import-write")
    assert posted.value.status == 201
    imported = posted.value.json()["import"]
    page.wait_for_selector(f".vector-imports li[data-import='{imported['id']}'] .vector-undo")
    assert page.locator(".vector-import .georef-message").inner_text() == "已导入 4 个要素，见图层“总平面布置”。"
    assert page.evaluate("window.hazmap.handle.map.getSource('vector-import-preview')") is None

    # the features are the enterprise's layout, where they were drawn, and on the map
    stored = api(page, f"/ogc/collections/layout-features/items?f=json&plan_import_id={imported['id']}&limit=100")
    assert sorted(f["properties"]["kind"] for f in stored["features"]) == ["building", "road", "tank", "tank"]
    assert {f["properties"]["enterprise_id"] for f in stored["features"]} == {enterprise_id}
    tanks = sorted(
        shapely.geometry.shape(f["geometry"]).centroid.x
        for f in stored["features"]
        if f["properties"]["kind"] == "tank"
    )
    for found, x_m in zip(tanks, (-30, -10), strict=True):
        assert abs(found - at(x_m, 20)[0]) * 111_320 * math.cos(math.radians(lat)) < 0.05  # metres
    ids = sorted(f["id"] for f in stored["features"])
    page.evaluate("([lon, lat]) => window.hazmap.handle.map.jumpTo({center: [lon, lat], zoom: 17})", [lon, lat])
    page.wait_for_function(
        """(ids) => {
          const map = window.hazmap.handle.map;
          const drawn = map.queryRenderedFeatures({layers: ['layout-features-fill', 'layout-features-line']});
          const seen = new Set(drawn.map((f) => f.id));
          return ids.every((id) => seen.has(id));
        }""",
        arg=ids,
        timeout=20000,
    )

    # undoing it, after a confirmation, deletes them
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f".vector-imports li[data-import='{imported['id']}'] .vector-undo")
    page.wait_for_function("document.querySelector('.vector-import .georef-message')?.textContent.startsWith('已撤销')")
    assert page.locator(".vector-import .georef-message").inner_text() == "已撤销：删除 4 个要素。"
    page.wait_for_selector(f".vector-imports li[data-import='{imported['id']}'] small.muted")
    assert api(page, f"/ogc/collections/layout-features/items?f=json&plan_import_id={imported['id']}")["features"] == []
    screenshot(page, "command-vector-import")
    page.context.close()
