"""The front end in a real browser: Debian's Chromium, driven by Playwright, against `hazmap demo` with the
demo park loaded (its simulators off, so that the only live change is the one a test makes).

What the map draws is read back from MapLibre (``map.queryRenderedFeatures`` through ``window.hazmap``),
not only from the DOM, and compared with what the OGC API gives the same user. Screenshots of each
view are saved in ``var/screenshots/`` (not committed) for a person to look at.
"""

from __future__ import annotations

import contextlib
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

import fiona
import pytest
import shapely.geometry

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


@contextlib.contextmanager
def demo(var: Path, **settings: str) -> Iterator[Server]:
    """`hazmap demo` on the SpatiaLite file in ``var`` (the demo park loaded when it is new), without
    simulators, with ``settings`` as further environment variables; stopped on leaving."""
    if not (ROOT / "frontend" / "dist" / "index.html").exists():
        pytest.fail("The front end is not built: run `make frontend` (npm ci && npm run build in frontend/).")
    env = {
        **os.environ,
        "HAZMAP_VAR_DIR": str(var),
        "DATABASE_URL": f"spatialite:///{var / 'demo.sqlite3'}",
        "HAZMAP_SIMULATE": "false",
        **settings,
    }
    port = free_port()
    log_path = var / f"server-{port}.log"
    log = log_path.open("w")
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
            pytest.fail(f"hazmap demo did not answer within a minute:\n{log_path.read_text()}")
        assert process.poll() is None, log_path.read_text()
        yield Server(url, env)
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    """`hazmap demo` on a fresh SpatiaLite file with the demo park, without simulators."""
    with demo(tmp_path_factory.mktemp("browser")) as running:
        yield running


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


CENTRE_SUMMARIES = """
import datetime as dt
from django.utils import timezone
from geo.models import Summary, User
from hierarchy.summary import figures
park = User.objects.get(username="park").region
now = timezone.now()
for centre, age_s in (("county-a", 630), ("county-b", 3 * 3600 + 30)):
    end = now - dt.timedelta(seconds=age_s)
    start = end - dt.timedelta(hours=1)
    Summary.objects.create(centre=centre, region=park, period_start=start, period_end=end, interval_s=3600,
                           figures=figures(park.path, start, end), received_from=centre, received_at=end)
"""


def test_the_dashboard_lists_each_centre_below_with_its_latest_summary_and_marks_one_gone_quiet(browser, server):
    server.shell(CENTRE_SUMMARIES)  # two county centres of the park's region: one 10.5 min ago, one 3 h ago
    page = sign_in(browser, server, "shanghai", "/dashboard")
    page.wait_for_selector(".centres:not([hidden]) .centres-table tbody tr")
    served = {s["centre"]: s for s in api(page, "/app/hierarchy/summaries")["items"]}
    rows = page.locator(".centres-table tbody tr")
    assert [rows.nth(i).get_attribute("data-centre") for i in range(rows.count())] == ["county-a", "county-b"]
    fresh, quiet = rows.nth(0), rows.nth(1)
    assert "10 分钟前" in fresh.inner_text() and fresh.get_attribute("class") is None
    assert quiet.get_attribute("class") == "late" and "逾期未报（3 小时前）" in quiet.inner_text()
    cells = fresh.locator("td").all_inner_texts()
    numbers = served["county-a"]["figures"]
    assert cells[2] == f"{numbers['hazard_sources']['major']:,}"
    sensors = numbers["sensors"]
    shown = " / ".join(f"{sensors[k]:,}" for k in ("online", "stale", "offline", "never_reported"))
    assert cells[6] == shown and sum(sensors[k] for k in ("online", "stale", "offline", "never_reported")) > 0
    assert page.locator(".centres h2").inner_text() == "下级中心汇总"
    screenshot(page, "dashboard-centres")
    page.context.close()
    # an enterprise's account sees no region's figures: no table
    page = sign_in(browser, server, "operator", "/dashboard")
    page.evaluate("window.hazmap.handle.ready")
    assert page.locator(".centres").is_hidden()
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
    with page.expect_download() as download:
        page.locator(".comparison thead th").nth(1).get_by_role("button", name="导出 GeoPackage").click()
    assert download.value.suggested_filename.endswith(".gpkg")
    label = page.evaluate("window.hazmap.handle.scenarios()[0].label")
    with fiona.open(download.value.path()) as layer:  # a GeoPackage (fiona reads the file, not the name)
        assert layer.driver == "GPKG" and layer.name == f"情景 A {label}" and layer.crs.to_epsg() == 4326
        zones = list(layer)
    assert [z.properties["endpoint"] for z in zones] == [z["properties"]["endpoint"] for z in first["features"]]
    for read, sent in zip(zones, first["features"], strict=True):
        if sent["geometry"]:
            assert shapely.geometry.shape(read.geometry).equals(shapely.geometry.shape(sent["geometry"]))
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


def test_the_bell_counts_unread_notifications_lists_them_and_marks_them_read(browser, server):
    # the planner: alarms announced by the other tests of this server notify regulators, commanders and inspectors
    server.shell(
        "from geo import notify; from geo.models import Notification, User; "
        "planner = User.objects.get(username='planner'); "
        "Notification.objects.filter(recipient=planner).delete(); "
        "notify.notify([planner], '报警：储罐液位高高', '请到现场核实')"
    )
    page = sign_in(browser, server, "planner", "/planner")
    page.wait_for_function("document.querySelector('.inbox-count') && !document.querySelector('.inbox-count').hidden")
    assert page.locator(".inbox-count").inner_text() == "1"
    page.click("button.inbox-bell")
    assert page.locator(".inbox-list .notice.unread .notice-subject").inner_text() == "报警：储罐液位高高"
    assert page.locator(".inbox-list .notice-body").inner_text() == "请到现场核实"
    screenshot(page, "planner-inbox")
    page.click("button.inbox-read")
    page.wait_for_function("document.querySelector('.inbox-count').hidden")
    assert page.locator(".inbox-list .notice.unread").count() == 0
    assert api(page, "/app/notifications")["unread"] == 0
    page.context.close()


def test_a_regulator_registers_an_applied_hazard_source_from_its_card(browser, server):
    page = sign_in(browser, server, "regulator", "/")
    waiting = api(page, "/app/registry/todo")["sources"]
    applied = next(s for s in waiting if s["registry_status"] == "applied")
    page.evaluate(f"window.hazmap.handle.card.show('hazard-sources', {applied['id']})")
    section = page.locator(f".card .registry[data-source='{applied['id']}']")
    section.locator("button.step[data-step='register']").wait_for()
    assert section.locator(".registry-status").inner_text() == "已申请备案"  # in the interface's language
    section.locator(".registry-comment").fill("资料齐全，予以备案")
    section.locator("button.step[data-step='register']").click()
    section.locator(".registry-status.status-registered").wait_for()
    assert "资料齐全，予以备案" in section.locator(".registry-history").inner_text()
    page.wait_for_function("document.querySelector('.card .facts')?.innerText.includes('已备案')")  # the card reloaded
    assert section.locator("button.step[data-step='register']").count() == 0
    history = api(page, f"/app/registry/{applied['id']}/history")
    assert [e["step"] for e in history["history"]][-1] == "register"
    assert history["source"]["registry_status"] == "registered"
    screenshot(page, "command-registry")


def take_step_on_the_card(page, step: str, state: str, fields: dict[str, str] | None = None) -> None:
    """Click the step's button on the alarm card, fill its form and submit; wait for the alarm's new state."""
    page.click(f".handling-steps button[data-step={step}]")
    form = page.locator(f".handling-form[data-step={step}]")
    for selector, value in (fields or {}).items():
        if selector.startswith("select"):
            form.locator(selector).select_option(value)
        else:
            form.locator(selector).fill(value)
    form.locator("button[type=submit]").click()
    page.wait_for_selector(f".handling-state[data-state={state}]", timeout=10000)


def test_an_alarm_is_handled_to_closure_from_its_card(browser, server):
    page = sign_in(browser, server, "operator", "/")
    detector = api(page, "/ogc/collections/sensors/items?f=json&kind=combustible_gas&filter=hihi IS NOT NULL&limit=1")
    server.shell(RAISE_ALARM.format(id=detector["features"][0]["id"]))
    alarm = int(server.shell("from geo.models import Alarm; print(Alarm.objects.latest('id').pk)").split()[-1])
    page.click(f".alarm-list li[data-id='{alarm}'] button", timeout=10000)
    page.wait_for_selector(".card .handling .handling-state[data-state=new]")
    assert page.locator(".handling-deadline").inner_text().startswith("下一步：确认查看，期限 ")
    assert page.locator(".handling-steps button").all_inner_texts() == ["确认查看"]
    take_step_on_the_card(page, "see", "seen", {"textarea[name=comment]": "值班员已到现场"})
    take_step_on_the_card(page, "verify", "verified", {"select[name=finding]": "false_alarm"})
    # what is typed into a step's form survives a reload of the card from the stream (here: the condition clears
    # and comes back while the operator writes the report)
    page.click(".handling-steps button[data-step=report]")
    page.locator(".handling-form[data-step=report] textarea[name=text]").fill("探头受潮误报，已烘干")
    for ended in ("timezone.now()", "None"):
        with page.expect_response(lambda r: r.url.endswith(f"/app/alarms/{alarm}/handling")):
            server.shell(
                f"from django.utils import timezone; from geo.models import Alarm; a = Alarm.objects.get(pk={alarm}); "
                f"a.ended_at = {ended}; a.save(update_fields=['ended_at'])"
            )
    assert page.locator(".handling-form[data-step=report] textarea[name=text]").input_value() == "探头受潮误报，已烘干"
    page.locator(".handling-form[data-step=report] button[type=submit]").click()
    page.wait_for_selector(".handling-state[data-state=reported]", timeout=10000)
    assert page.locator(".handling-steps button").count() == 0  # closing is for the regulator or the commander
    steps = page.eval_on_selector_all(".handling-timeline li", "items => items.map((li) => li.dataset.step)")
    assert [s for s in steps if s != "raised"] == ["see", "verify", "report"]  # "raised" once the check announced it
    screenshot(page, "command-alarm-handling")
    page.context.close()

    page = sign_in(browser, server, "park", "/")
    page.click(f".alarm-list li[data-id='{alarm}'] button", timeout=10000)
    page.wait_for_selector(".card .handling .handling-state[data-state=reported]")
    assert page.locator(".handling-waiting").inner_text() == "报警状况仍在持续，消警后才能销账。"
    assert page.locator(".handling-steps button").count() == 0
    # the condition clears as acquisition's ingest clears it: a save of ended_at, published to the stream
    server.shell(
        f"from django.utils import timezone; from geo.models import Alarm; a = Alarm.objects.get(pk={alarm}); "
        "a.ended_at = timezone.now(); a.save(update_fields=['ended_at'])"
    )
    take_step_on_the_card(page, "close", "closed", {"textarea[name=comment]": "同意销账"})
    page.wait_for_selector(".handling-state[data-state=closed]", timeout=10000)
    page.wait_for_selector(".card dd[data-field=state] >> text=已销账", timeout=10000)  # the facts follow the stream
    link = page.locator(".handling a.link")
    assert link.get_attribute("href") == f"/app/alarms/{alarm}/report.pdf"
    pdf = page.request.get(page.evaluate("location.origin") + link.get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF-")
    screenshot(page, "command-alarm-closed")
    page.context.close()


RISK_ON_MAP = """() => {
  const map = window.hazmap.handle.map;
  const seen = {};
  for (const f of map.queryRenderedFeatures({ layers: ['hazard-sources-fill'] })) {
    const state = map.getFeatureState({ source: 'hz', sourceLayer: 'hazard-sources', id: f.id });
    seen[f.id] = [state.risk, f.properties.grade ?? null, f.layer.paint['fill-color']];
  }
  return seen;
}"""
RISK_RGB = {"red": (215, 25, 28), "orange": (244, 109, 27), "yellow": (232, 180, 0), "blue": (43, 108, 176)}
GRADE_RGB = {
    1: RISK_RGB["red"],
    2: RISK_RGB["orange"],
    3: RISK_RGB["yellow"],
    4: RISK_RGB["blue"],
    None: (138, 150, 163),
}


def drawn_risk(page) -> dict[int, tuple[str, int | None, tuple[int, int, int]]]:
    """Each hazard source drawn: its risk level as the map holds it, its grade, and the colour it is filled with."""
    return {
        int(i): (level, grade, tuple(round(c * 255) for c in (paint["r"], paint["g"], paint["b"])))
        for i, (level, grade, paint) in page.evaluate(RISK_ON_MAP).items()
    }


def test_hazard_sources_are_coloured_by_risk_level_on_request_and_follow_a_new_alarm(browser, server):
    page = sign_in(browser, server, "park", "/")
    page.wait_for_function("Number(document.querySelector('#map').dataset.riskLevels) > 0")
    page.click(".colour-by input[value=risk]")
    page.wait_for_function("document.querySelector('#map').dataset.sourceColouring === 'risk'")
    levels = api(page, "/app/risk/levels")["levels"]
    drawn = drawn_risk(page)
    assert drawn and {i: levels[str(i)] for i in drawn} == {i: level for i, (level, _, _) in drawn.items()}
    assert all(rgb == RISK_RGB[level] for level, _, rgb in drawn.values())
    assert any(GRADE_RGB[grade] != RISK_RGB[level] for level, grade, _ in drawn.values())  # not the grade colours
    legend = page.locator(".layers .layer-list").inner_text()
    assert "红色：重大风险" in legend and "并非官方公式" in legend
    screenshot(page, "command-risk")

    # the card explains the level of a source: its points and the five factors
    worst = api(page, "/app/risk?limit=1")["items"][0]
    page.evaluate("(id) => window.hazmap.handle.card.show('hazard-sources', id)", worst["id"])
    page.wait_for_selector(".card .risk .risk-level")
    assert page.locator(".card .risk .risk-level").inner_text() == worst["level_label"]
    assert page.locator(".card .risk-factors tr").evaluate_all("rows => rows.map((r) => r.dataset.factor)") == [
        "grade",
        "alarms",
        "monitoring",
        "hidden_dangers",
        "inspections",
    ]
    assert page.locator(".card .risk small").inner_text() == f"{worst['points']} 分"

    # a second-level alarm (25 points) on a source that is not red and has no open alarm moves its level
    # (any score below 70 crosses a boundary with 25 more); the map follows
    calm = {
        item["id"]
        for item in api(page, "/app/risk?level=orange,yellow,blue&limit=1000")["items"]
        if next(f for f in item["factors"] if f["factor"] == "alarms")["points"] == 0
    }
    sensors = api(page, "/ogc/collections/sensors/items?f=json&kind=combustible_gas&filter=hihi IS NOT NULL&limit=1000")
    sensor = next(s for s in sensors["features"] if s["properties"]["hazard_source_id"] in calm)
    source = sensor["properties"]["hazard_source_id"]
    server.shell(RAISE_ALARM.format(id=sensor["id"]))
    moved = api(page, "/app/risk/levels")["levels"][str(source)]
    assert moved != levels[str(source)]
    page.wait_for_function(
        "([id, level]) => window.hazmap.handle.map"
        ".getFeatureState({source: 'hz', sourceLayer: 'hazard-sources', id}).risk === level",
        arg=[source, moved],
        timeout=15000,
    )
    page.click(".colour-by input[value=grade]")
    page.wait_for_function("document.querySelector('#map').dataset.sourceColouring === 'grade'")
    assert all(rgb == GRADE_RGB[grade] for _, grade, rgb in drawn_risk(page).values())
    page.context.close()


ADD_LAYOUT = """
from django.contrib.gis.geos import LineString, Polygon
from geo.models import Enterprise, LayoutFeature
e = Enterprise.objects.filter(site__isnull=False).order_by("pk").first()
x, y = e.site.centroid.coords
d = 0.0002  # degrees: about 20 m
def square(cx, cy, r):
    return Polygon.from_bbox((cx - r, cy - r, cx + r, cy + r))

LayoutFeature.objects.create(enterprise=e, kind="building", name="控制室", geometry=square(x - 2 * d, y, d))
LayoutFeature.objects.create(enterprise=e, kind="tank", name="V-101", geometry=square(x + 2 * d, y, d / 2))
road = LineString((x - 4 * d, y - 2 * d), (x + 4 * d, y - 2 * d))
LayoutFeature.objects.create(enterprise=e, kind="road", name="一号路", geometry=road)
LayoutFeature.objects.create(enterprise=e, kind="hazard_source", name="罐区", geometry=square(x + 2 * d, y, d))
print(x, y)
"""
LAYOUT_DRAWN = """() => {
  const drawn = {};
  for (const f of window.hazmap.handle.map.queryRenderedFeatures({
    layers: ['layout-features-fill', 'layout-features-line', 'layout-features-footprint'],
  })) (drawn[f.layer.id] = drawn[f.layer.id] || new Set()).add(f.properties.kind);
  return Object.fromEntries(Object.entries(drawn).map(([layer, kinds]) => [layer, [...kinds].sort()]));
}"""


def test_an_imported_general_layout_is_drawn_by_kind_with_its_legend(browser, server):
    x, y = (float(v) for v in server.shell(ADD_LAYOUT).split()[-2:])
    page = sign_in(browser, server, "park", "/")
    jump(page, x, y, 17.5)
    assert page.evaluate(LAYOUT_DRAWN) == {
        "layout-features-fill": ["building", "tank"],  # areas filled
        "layout-features-line": ["building", "road", "tank"],  # outlines and lines
        "layout-features-footprint": ["hazard_source"],  # a dashed outline over the rest
    }
    legend = page.locator(".layers .layer-list").inner_text()
    assert "总平面布置" in legend and "防火堤" in legend and "危险源边界" in legend
    screenshot(page, "command-layout")
    page.context.close()
