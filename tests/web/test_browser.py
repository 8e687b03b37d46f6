"""The front end in a real browser: Debian's Chromium, driven by Playwright, against `hazmap demo` with the
demo park loaded (its simulators off, so that the only live change is the one a test makes).

What the map draws is read back from MapLibre (``map.queryRenderedFeatures`` through ``window.hazmap``),
not only from the DOM, and compared with what the OGC API gives the same user. Screenshots of each
view are saved in ``var/screenshots/`` (not committed) for a person to look at.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HAZMAP = str(Path(sys.executable).with_name("hazmap"))
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "var" / "screenshots"
PASSWORD = "hazmap-demo"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1200, "height": 760}  # small enough for software WebGL (SwiftShader) to draw quickly


@dataclass
class Server:
    url: str
    env: dict[str, str]

    def shell(self, code: str) -> str:
        """Run ``code`` in a Django shell on the server's database; its standard output."""
        done = subprocess.run(
            [HAZMAP, "shell", "-c", code], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    """`hazmap demo` on a fresh SpatiaLite file with the demo park, without simulators."""
    if not (ROOT / "frontend" / "dist" / "index.html").exists():
        pytest.fail("The front end is not built: run `make frontend` (npm ci && npm run build in frontend/).")
    var = tmp_path_factory.mktemp("browser")
    env = {
        **os.environ,
        "HAZMAP_VAR_DIR": str(var),
        "DATABASE_URL": f"spatialite:///{var / 'demo.sqlite3'}",
        "HAZMAP_SIMULATE": "false",
    }
    port = free_port()
    log = (var / "server.log").open("w")
    process = subprocess.Popen(
        [HAZMAP, "demo", "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                    break
            except OSError:
                if process.poll() is not None:
                    break
                time.sleep(0.25)
        else:
            pytest.fail(f"hazmap demo did not answer within a minute:\n{(var / 'server.log').read_text()}")
        assert process.poll() is None, (var / "server.log").read_text()
        yield Server(url, env)
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is missing ({CHROMIUM}): the front-end tests drive Debian's chromium. "
            "Install it with `bash scripts/install-debian.sh chromium` (`make test-tools` does)."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


_signed_in: dict[tuple[str, str], dict] = {}  # (server, user) → cookies of a sign-in through the form


def sign_in(browser, server: Server, user: str, path: str, **context):
    """A new browser context of ``user`` showing ``path`` once it is ready.

    The first time for a user it signs in through the sign-in page (the password hash takes a while);
    later contexts reuse that session.
    """
    state = _signed_in.get((server.url, user))
    page = browser.new_context(locale="en-US", storage_state=state, **{"viewport": DESKTOP, **context}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server.url}{path}")
    if state is None:
        assert page.url == f"{server.url}/login/?next={path}"
        page.fill("#id_username", user)
        page.fill("#id_password", PASSWORD)
        page.click("button.submit")
        page.wait_for_url(f"{server.url}{path}")
        _signed_in[(server.url, user)] = page.context.storage_state()
    page.wait_for_function("window.hazmap && (window.hazmap.handle || window.hazmap.error)", timeout=20000)
    assert page.evaluate("window.hazmap.error") is None
    page.evaluate("window.hazmap.handle.ready")
    assert errors == []
    return page


def tile_requests(page) -> list[str]:
    """Every vector tile the page asks for from now on (the map's worker fetches them)."""
    urls: list[str] = []
    page.context.on("request", lambda request: ".mvt" in request.url and urls.append(request.url))
    return urls


def api(page, path: str) -> dict:
    """GET an OGC API path as the page's user (its session cookie)."""
    origin = page.evaluate("location.origin")
    answer = page.request.get(f"{origin}{path}")
    assert answer.ok, answer.text()
    return answer.json()


RENDERED_IDS = """(layers) => {
  const map = window.hazmap.handle.map;
  const ids = {};
  for (const f of map.queryRenderedFeatures({ layers: layers.filter((l) => map.getLayer(l)) })) {
    const key = f.sourceLayer || f.source;
    (ids[key] = ids[key] || new Set()).add(f.id);
  }
  return Object.fromEntries(Object.entries(ids).map(([k, v]) => [k, [...v].sort((a, b) => a - b)]));
}"""


def rendered(page, *layers: str) -> dict[str, list[int]]:
    return page.evaluate(RENDERED_IDS, list(layers))


def jump(page, lon: float, lat: float, zoom: float) -> None:
    page.evaluate(
        """([lon, lat, zoom]) => new Promise((resolve) => {
          const map = window.hazmap.handle.map;
          map.jumpTo({ center: [lon, lat], zoom });
          map.once("idle", resolve);
        })""",
        [lon, lat, zoom],
    )


SCREEN_POINT = """([lon, lat]) => {
  const map = window.hazmap.handle.map;
  const p = map.project([lon, lat]);
  const r = map.getCanvas().getBoundingClientRect();
  return [r.left + p.x, r.top + p.y];
}"""
SENSOR_STATE = "(id) => window.hazmap.handle.map.getFeatureState({source:'hz', sourceLayer:'sensors', id}).alarm_state"


def centre(geometry: dict) -> tuple[float, float]:
    """The centre of a GeoJSON geometry's bounds (what the front end stands for an area)."""
    coordinates = json.dumps(geometry["coordinates"])
    numbers = [float(x) for x in coordinates.replace("[", " ").replace("]", " ").replace(",", " ").split()]
    xs, ys = numbers[0::2], numbers[1::2]
    return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2


def test_the_command_map_draws_every_hazard_source_enterprise_and_resource_the_user_may_see(browser, server):
    page = sign_in(browser, server, "park", "/")
    drawn = rendered(
        page,
        "hazard-sources-fill",
        "hazard-sources-point",
        "enterprises-fill",
        "emergency-resources-point",
        "regions-line",
        "regions-park-line",
    )
    bounds = page.evaluate("window.hazmap.handle.map.getBounds().toArray().flat().join(',')")
    for collection in ("hazard-sources", "enterprises", "emergency-resources"):
        # what the user may see inside the map's view (the county's resources around the park lie outside it)
        items = api(page, f"/ogc/collections/{collection}/items?f=json&limit=1000&bbox={bounds}")["features"]
        assert drawn[collection] == sorted(f["id"] for f in items), collection
    assert drawn["regions"]  # the park's boundary, from our own tiles: no basemap
    legend = page.locator(".layers .layer-list").inner_text()
    assert "重大危险源" in legend and "一级" in legend and "监测点" in legend
    screenshot(page, "command")
    page.context.close()


def test_a_hazard_source_close_up_shows_its_tanks_and_every_sensor_and_its_card(browser, server):
    page = sign_in(browser, server, "park", "/")
    source = api(page, "/ogc/collections/hazard-sources/items?f=json&kind=tank_area&limit=1")["features"][0]
    lon, lat = centre(source["geometry"])
    fetched = tile_requests(page)
    jump(page, lon, lat, 17.5)
    assert fetched  # closer zooms come as new tiles (what the live test below must not need)
    sensors = api(page, f"/ogc/collections/sensors/items?f=json&hazard_source_id={source['id']}&limit=500")
    equipment = api(page, f"/ogc/collections/equipment/items?f=json&hazard_source_id={source['id']}&limit=500")
    drawn = rendered(page, "sensors-point", "equipment-fill")
    assert {f["id"] for f in sensors["features"]} <= set(drawn["sensors"])
    assert {f["id"] for f in equipment["features"]} <= set(drawn["equipment"])

    x, y = page.evaluate(SCREEN_POINT, [lon, lat])
    page.evaluate("window.hazmap.handle.map.setLayoutProperty('sensors-point', 'visibility', 'none')")
    page.mouse.click(x, y)  # the tank area itself (its sensors hidden, so that the click reaches it)
    page.wait_for_selector(".card .readings .reading")
    card = page.locator(".card")
    assert card.locator("h2").inner_text() == source["properties"]["name"]
    assert card.locator(".reading").count() == len(sensors["features"])
    assert source["properties"]["principal_name"] in card.inner_text()
    assert "重大危险源" in card.locator(".grade").first.inner_text()
    screenshot(page, "command-card")
    page.context.close()


# A gas detector reads 1.2 × its high-high limit: what acquisition's ingest stores and publishes then.
RAISE_ALARM = """
from django.utils import timezone
from acquisition.batch import AlarmChange, Batch, Sample, to_us
from acquisition.ingest import ingest
from geo.models import Sensor
s = Sensor.objects.select_related("enterprise").get(pk={id})
key = f"{{s.enterprise.credit_code}}/{{s.tag}}"
now = timezone.now()
value = s.hihi * 1.2
alarm = AlarmChange(key, "hihi", 2, now, None, value, s.hihi)
ingest(Batch.of([Sample(key, now, value)], {{key: ("hihi", to_us(now))}}, [alarm]))
"""


def test_an_alarm_arrives_through_the_stream_and_pulses_on_the_map_without_reloading_tiles(browser, server):
    page = sign_in(browser, server, "park", "/")
    page.wait_for_function("window.hazmap.handle.live.status === 'connected'")
    detector = api(page, "/ogc/collections/sensors/items?f=json&kind=combustible_gas&filter=hihi IS NOT NULL&limit=1")
    sensor = detector["features"][0]
    jump(page, *sensor["geometry"]["coordinates"], 17.5)
    tiles = tile_requests(page)
    page.evaluate("window.notReloaded = true")

    server.shell(RAISE_ALARM.format(id=sensor["id"]))
    raised = {"id": sensor["id"], "tag": sensor["properties"]["tag"]}

    page.wait_for_function(f"(id) => ({SENSOR_STATE})(id) === 'hihi'", arg=raised["id"], timeout=10000)
    drawn = page.evaluate(
        """(id) => window.hazmap.handle.map.queryRenderedFeatures({ layers: ['sensors-point'] })
             .filter((f) => f.id === id).map((f) => f.state.alarm_state)""",
        raised["id"],
    )
    assert drawn and set(drawn) == {"hihi"}
    page.wait_for_selector(f".alarm-list li[data-active=true] >> text={raised['tag']}", timeout=10000)
    assert page.locator(".alarm-pulse.level-2").count() == 1  # the second-level alarm pulses (CSS, not a map redraw)
    assert page.evaluate("window.notReloaded") is True
    assert tiles == []  # the live value came as feature-state and the alarm as an overlay, not as tiles
    page.wait_for_timeout(500)
    screenshot(page, "command-alarm")
    page.context.close()


DROP_STREAM = """(() => {
  const live = window.hazmap.handle.live;
  const seen = live.lastEventId;
  live.start();
  return seen;
})()"""


def test_the_stream_reconnects_by_itself_after_a_server_error_and_loses_nothing_meanwhile(browser, server):
    page = sign_in(browser, server, "park", "/")
    page.wait_for_function("window.hazmap.handle.live.status === 'connected'")
    server.shell(WIND.format(speed=2.0, direction=45.0))  # something to have seen: the last event id
    page.wait_for_function("window.hazmap.handle.live.lastEventId !== null", timeout=10000)
    streams: list[str] = []
    unavailable = [True]

    def server_restarting(route) -> None:
        streams.append(route.request.url)
        if unavailable[0]:
            route.fulfill(status=503, content_type="application/json", body='{"code": "Unavailable"}')
        else:
            route.continue_()

    page.route("**/ogc/events*", server_restarting)
    # The connection drops (the last event seen is kept) and the browser asks again.
    seen = page.evaluate(DROP_STREAM)
    page.wait_for_function("window.hazmap.handle.live.status === 'reconnecting'")
    detector = api(page, "/ogc/collections/sensors/items?f=json&kind=combustible_gas&filter=hihi IS NOT NULL&offset=1")
    sensor = detector["features"][0]
    server.shell(RAISE_ALARM.format(id=sensor["id"]))  # raised while the page has no stream
    unavailable[0] = False
    page.wait_for_function("window.hazmap.handle.live.status === 'connected'", timeout=20000)
    page.wait_for_selector(f".alarm-list li[data-active=true] >> text={sensor['properties']['tag']}", timeout=10000)
    assert f"lastEventId={seen}" in streams[-1]  # it resumed after the last event it had, so nothing was lost
    page.context.close()


# The park's weather station reports a wind (speed m/s, direction ° from north) as acquisition would.
WIND = """
from django.utils import timezone
from acquisition.batch import Batch, Sample
from acquisition.ingest import ingest
from geo.models import Sensor
now = timezone.now()
values = {{"wind_speed": {speed}, "wind_direction": {direction}, "air_temperature": 20.0, "relative_humidity": 60.0}}
station = Sensor.objects.select_related("region").filter(tag__startswith="WS-", kind__in=values)
ingest(Batch.of([Sample(f"{{s.region.code}}/{{s.tag}}", now, values[s.kind]) for s in station]))
"""


def test_a_tank_release_is_simulated_with_the_live_wind_and_redone_when_the_wind_turns(browser, server):
    server.shell(WIND.format(speed=3.0, direction=90.0))
    page = sign_in(browser, server, "park", "/")
    page.wait_for_function("window.hazmap.handle.live.status === 'connected'")
    page.fill(".search-input", "氯卧式储罐")
    page.wait_for_selector(".search-results li[data-collection=equipment]")
    page.locator(".search-results li[data-collection=equipment] button").first.click()
    page.wait_for_selector(".card .simulate form")
    page.evaluate("window.hazmap.handle.simulator.rerunEveryMs = 0")
    page.select_option(".simulate select[name=kind]", "toxic")
    page.click(".simulate button[type=submit]")
    page.wait_for_selector(".sim-output[data-state=done]", timeout=30000)
    result = page.evaluate("window.hazmap.handle.simulator.result")
    assert (result["weather"]["source"], result["weather"]["wind_from_deg"]) == ("live", 90.0)
    assert result["downwind_bearing_deg"] == 270.0  # a wind from the east carries the cloud west
    reached = sorted(z["properties"]["severity"] for z in result["features"] if z["properties"]["reached"])
    assert reached
    page.wait_for_function(  # every zone reached is drawn on the map
        """(reached) => JSON.stringify([...new Set(window.hazmap.handle.map
             .queryRenderedFeatures({layers: ['simulation-fill']}).map((f) => f.properties.severity))].sort())
           === JSON.stringify(reached)""",
        arg=reached,
        timeout=15000,
    )
    listed = page.locator(".sim-output .zones li").all_inner_texts()
    assert len(listed) == len(result["features"])
    for zone, text in zip(result["features"], listed, strict=True):
        assert zone["properties"]["endpoint"] in text
        for enterprise in zone["properties"]["enterprises"]:
            assert enterprise["name"] in text
    screenshot(page, "command-simulation")

    server.shell(WIND.format(speed=3.0, direction=180.0))  # the wind turns to come from the south
    page.wait_for_function("window.hazmap.handle.simulator.runs === 2", timeout=15000)
    turned = page.evaluate("window.hazmap.handle.simulator.result")
    assert (turned["weather"]["wind_from_deg"], turned["downwind_bearing_deg"]) == (180.0, 0.0)
    page.context.close()


def test_the_dashboard_charts_what_the_database_counts_for_the_user(browser, server):
    page = sign_in(browser, server, "park", "/dashboard")
    stats = api(page, "/app/stats?days=30")
    sources = api(page, "/ogc/collections/hazard-sources/items?f=json&limit=1000")["features"]
    assert stats["hazard_sources"]["total"] == len(sources)
    grades = page.evaluate(
        "window.hazmap.handle.charts['sources-grade'].getOption().series[0].data.map((d) => d.value)"
    )
    assert grades == [n for _, n in stats["hazard_sources"]["by_grade"]] and sum(grades) == len(sources)
    accidents = page.evaluate("window.hazmap.handle.charts['sources-accident'].getOption().series[0].data")
    assert accidents == [n for _, n in stats["hazard_sources"]["by_accident"]]
    fire = sum(1 for f in sources if f["properties"]["accident_fire"])
    assert stats["hazard_sources"]["by_accident"][0] == ["fire", fire]
    hours = page.evaluate("window.hazmap.handle.charts['alarms-hour'].getOption().series[0].data")
    assert len(hours) == 24 and sum(hours) == stats["alarms"]["total"]
    assert page.locator(".summary .figure b").first.inner_text() == str(len(sources))
    page.wait_for_timeout(400)  # the charts' opening animation
    screenshot(page, "dashboard")
    page.context.close()


def test_the_planner_compares_two_scenarios_side_by_side_and_exports_one(browser, server):
    page = sign_in(browser, server, "planner", "/planner")
    chlorine = page.locator("select[name=equipment] option", has_text="，氯）").first.get_attribute("value")
    page.select_option("select[name=equipment]", chlorine)
    for name, value in (("wind_speed", "3"), ("wind_from", "90")):
        page.fill(f"input[name={name}]", value)
    page.select_option("select[name=stability]", "D")
    page.click(".planner-form button[type=submit]")
    page.wait_for_function("window.hazmap.handle.scenarios().length === 1", timeout=30000)
    page.select_option("select[name=release]", "catastrophic")
    page.click(".planner-form button[type=submit]")
    page.wait_for_function("window.hazmap.handle.scenarios().length === 2", timeout=30000)
    header = page.locator(".comparison thead th").all_inner_texts()
    assert [h.split()[0] for h in header[1:]] == ["情景", "情景"] and "A" in header[1] and "B" in header[2]
    first, second = page.evaluate("window.hazmap.handle.scenarios().map((s) => s.result)")
    assert first["weather"]["wind_from_deg"] == second["weather"]["wind_from_deg"] == 90.0
    red = [page.locator(".comparison tbody tr").nth(3).locator("td").nth(i).inner_text() for i in (0, 1)]
    assert all(r.startswith(first["features"][0]["properties"]["endpoint"]) for r in red)
    with page.expect_download() as download:
        page.locator(".comparison thead th").nth(1).get_by_role("button", name="导出 GeoJSON").click()
    exported = json.loads(Path(download.value.path()).read_text())
    assert exported["type"] == "FeatureCollection"
    assert [z["properties"]["endpoint"] for z in exported["features"]] == [
        z["properties"]["endpoint"] for z in first["features"]
    ]
    screenshot(page, "planner")
    page.context.close()


def test_the_language_switch_turns_every_label_english_and_is_remembered(browser, server):
    page = sign_in(browser, server, "park", "/")
    assert page.locator(".brand-view").inner_text() == "一张图"
    page.click("button.lang")
    assert page.locator(".brand-view").inner_text() == "One map"
    assert page.locator(".layers h2").inner_text() == "Layers and legend"
    assert page.locator(".alarms h2").inner_text() == "Alarms"
    assert page.locator(".search-input").get_attribute("placeholder") == "Search by name, code or tag"
    assert "Major hazard sources" in page.locator(".layers").inner_text()
    assert page.locator("button.lang").inner_text() == "中文"
    screenshot(page, "command-english")
    page.reload()
    page.wait_for_function("window.hazmap && window.hazmap.handle")
    assert page.locator(".brand-view").inner_text() == "One map"
    assert page.evaluate("document.documentElement.lang") == "en"
    page.click("button.lang")
    assert page.locator(".brand-view").inner_text() == "一张图"
    page.context.close()


def test_the_inspector_at_phone_size_lists_the_source_i_stand_at_first_and_shows_the_way(browser, server):
    source = None
    probe = sign_in(browser, server, "inspector", "/inspector", viewport=PHONE)
    source = api(probe, "/ogc/collections/hazard-sources/items?f=json&kind=tank_area&limit=1")["features"][0]
    probe.context.close()
    lon, lat = centre(source["geometry"])
    page = sign_in(
        browser,
        server,
        "inspector",
        "/inspector",
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        geolocation={"longitude": lon, "latitude": lat, "accuracy": 8},
        permissions=["geolocation"],
    )
    assert page.locator(".locate-status").inner_text() == "已定位（精度约 8 米）"
    first = page.locator(".nearby li").first
    assert first.get_attribute("data-id") == str(source["id"])
    assert "0 米" in first.inner_text()
    distances = page.evaluate("window.hazmap.handle.sources().map((s) => s.distanceM)")
    assert distances == sorted(distances) and len(distances) > 1
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing wider than the phone
    screenshot(page, "inspector")

    first.locator("button").tap()
    page.wait_for_selector(".detail .reading")
    assert page.locator(".detail .way-line").inner_text() == "您就在此处"
    sensors = api(page, f"/ogc/collections/sensors/items?f=json&hazard_source_id={source['id']}&limit=500")
    assert page.locator(".detail .reading").count() == len(sensors["features"])
    navigate = page.locator(".detail .actions a.primary")
    assert navigate.get_attribute("href").startswith(f"geo:{lat:.6f},{lon:.6f}?q=")
    box = navigate.bounding_box()
    assert box["height"] >= 44 and box["y"] > PHONE["height"] / 2  # a thumb-sized button in the lower half
    screenshot(page, "inspector-detail")
    page.locator(".detail .actions button").tap()
    assert page.locator(".nearby li").count() == len(distances)
    page.context.close()


def test_the_inspector_falls_back_to_the_centre_of_the_users_area_when_location_is_denied(browser, server):
    page = sign_in(browser, server, "inspector", "/inspector", viewport=PHONE, is_mobile=True, has_touch=True)
    assert page.locator(".locate-status").inner_text() == "无法获取位置（定位权限被拒绝），以辖区中心为当前位置"
    assert page.locator(".nearby li[data-id]").count() > 0
    page.context.close()
