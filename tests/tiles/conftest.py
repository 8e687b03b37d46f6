"""A small world for tile tests, and two independent readers of tiles: GDAL's MVT driver and mapbox-vector-tile.

Tile addresses come from the slippy-map formulas of the OpenStreetMap wiki ("Slippy map tilenames"):
x = ⌊(λ + 180)/360 · 2^z⌋, y = ⌊(1 − asinh(tan φ)/π)/2 · 2^z⌋.
"""

from __future__ import annotations

import datetime as dt
import gzip
import math
from dataclasses import dataclass
from pathlib import Path

import mapbox_vector_tile
import numpy as np
import pytest
import shapely
import shapely.geometry
from django.contrib.gis.gdal import DataSource
from django.contrib.gis.geos import GEOSGeometry, LineString, MultiPolygon, Point, Polygon

from geo.models import (
    Alarm,
    ConsequenceZone,
    EmergencyResource,
    Equipment,
    Fence,
    LayoutFeature,
    PersonnelTag,
    Scenario,
    SensitiveTarget,
    Sensor,
    User,
)
from tests.factories import LAT, LON, enterprise, hazard_source, multi, region_chain, sensor, square, substance, tank

EXTENT = 4096  # MVT grid units across a tile (MVT 2.1, 4.3.1)
BUFFER = 64


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """The z/x/y of the tile holding (lon, lat) (OpenStreetMap wiki, "Slippy map tilenames")."""
    n = 1 << z
    x = math.floor((lon + 180.0) / 360.0 * n)
    y = math.floor((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return z, x, y


def tile_box_3857(z: int, x: int, y: int, buffer_units: float = 0.0) -> tuple[float, float, float, float]:
    """The tile's box in EPSG:3857 (OpenStreetMap wiki), widened by ``buffer_units`` of the 4096 grid."""
    half = math.pi * 6378137.0
    size = 2 * half / (1 << z)
    pad = buffer_units * size / EXTENT
    xmin, ymax = -half + x * size, half - y * size
    return xmin - pad, ymax - size - pad, xmin + size + pad, ymax + pad


def grid_unit_m(z: int) -> float:
    return 2 * math.pi * 6378137.0 / (1 << z) / EXTENT


@dataclass
class Feature:
    """A feature read back from a tile by two decoders.

    ``grid``, ``properties`` (mapbox-vector-tile): the geometry in tile grid units (y down, buffer
    included) and the attributes. ``geometry`` (GDAL's MVT driver): the geometry in EPSG:3857, cut to
    the tile itself (the driver's default, CLIP=YES); None when nothing of it lies inside the tile.
    """

    id: int
    grid: shapely.Geometry
    properties: dict
    geometry: shapely.Geometry | None = None


def body(response) -> bytes:
    """The tile bytes of a response, gunzipped if it was gzip-encoded."""
    data = response.content
    return gzip.decompress(data) if response.get("Content-Encoding") == "gzip" else data


def read_tile(data: bytes, z: int, x: int, y: int, folder: Path) -> dict[str, dict[int, Feature]]:
    """The layers of an MVT tile as read by mapbox-vector-tile and by GDAL's MVT driver, by feature id."""
    if not data:
        return {}
    layers = {
        name: {
            f["id"]: Feature(f["id"], shapely.geometry.shape(f["geometry"]), f["properties"]) for f in layer["features"]
        }
        for name, layer in mapbox_vector_tile.decode(data, default_options={"y_coord_down": True}).items()
    }
    path = folder / str(z) / str(x) / f"{y}.pbf"  # GDAL georeferences a tile named {z}/{x}/{y}.pbf
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    for layer in DataSource(str(path)):
        assert layer.srs.srid == 3857
        for feature in layer:
            layers[layer.name][feature.get("mvt_id")].geometry = shapely.from_wkb(bytes(feature.geom.wkb))
    return layers


def grid_to_3857(geometry: shapely.Geometry, z: int, x: int, y: int) -> shapely.Geometry:
    """Tile grid units (y down) back to EPSG:3857 metres."""
    xmin, _ymin, _xmax, ymax = tile_box_3857(z, x, y)
    unit = grid_unit_m(z)
    return shapely.transform(geometry, lambda xy: np.column_stack([xmin + xy[:, 0] * unit, ymax - xy[:, 1] * unit]))


def expected_geometry(geometry: GEOSGeometry, box: tuple[float, float, float, float]) -> shapely.Geometry:
    """A stored EPSG:4326 geometry in EPSG:3857 (projected by GDAL), cut to ``box``."""
    projected = geometry.transform(3857, clone=True)
    return shapely.clip_by_rect(shapely.from_wkb(bytes(projected.wkb)), *box)


def within_window(queryset, field: str, z: int, x: int, y: int):
    """The rows of ``queryset`` whose geometry meets the tile and its buffer (the database's own answer)."""
    box = Polygon.from_bbox(tile_box_3857(z, x, y, BUFFER))
    box.srid = 3857
    return queryset.filter(**{f"{field}__intersects": box.transform(4326, clone=True)})


@pytest.fixture
def tile_dir(tmp_path) -> Path:
    return tmp_path


@pytest.fixture
def world(db):
    """Province 310000 with a park and two enterprises 0.01° apart (one zoom-14 tile); province 320000 with one.

    Each enterprise has a hazard source with a tank and sensors; the first has a personnel tag, two
    alarms (one open, one closed), a fence, a consequence zone and three layout features (a building, a
    road and a tank outline linked to its tank). The park has a boundary, a fire
    station and a village nearby. Users: a superuser, the park's regulator and emergency
    commander, the operator of the first enterprise, and the regulator of province 320000.
    """
    a, b = region_chain("310000", "甲"), region_chain("320000", "乙")
    e1 = enterprise(a["park"], serial=1)
    e2 = enterprise(a["park"], serial=2, lon=LON - 0.01)
    e3 = enterprise(b["park"], serial=3, lon=LON + 0.3)
    gas = substance()
    sources, sensors = [], []
    for ent in (e1, e2, e3):
        source = hazard_source(ent)
        tank(source, gas, 20_000.0)
        sources.append(source)
        centre = ent.site.centroid
        sensors.append(sensor(ent, tag="LT-101", hi=80.0))
        sensors.append(
            Sensor.objects.create(
                enterprise=ent,
                tag="PT-101",
                name="PT-101 压力",
                kind="pressure",
                unit="MPa",
                location=Point(centre.x + 0.0005, centre.y + 0.0003, srid=4326),
            )
        )
    tag = PersonnelTag.objects.create(
        enterprise=e1, code="TAG-1", holder="赵六", location=Point(LON + 0.0004, LAT - 0.0002, srid=4326)
    )
    started = dt.datetime(2026, 1, 15, 8, tzinfo=dt.UTC)
    open_alarm = Alarm.objects.create(
        sensor=sensors[0], kind="hi", started_at=started, location=sensors[0].location, value=85.0, unit="%"
    )
    closed_alarm = Alarm.objects.create(
        sensor=sensors[1],
        kind="hi",
        state="closed",
        started_at=started,
        closed_at=started + dt.timedelta(hours=1),
        location=sensors[1].location,
    )
    park = a["park"]
    park.boundary = MultiPolygon(Polygon.from_bbox((LON - 0.05, LAT - 0.03, LON + 0.05, LAT + 0.03)), srid=4326)
    park.save()
    fence = Fence.objects.create(
        enterprise=e1, hazard_source=sources[0], name="罐区围栏", kind="hazardous", area=square(LON, LAT, 60)
    )
    station = EmergencyResource.objects.create(
        name="园区消防站", kind="fire_station", region=park, location=Point(LON - 0.002, LAT + 0.001, srid=4326)
    )
    village = SensitiveTarget.objects.create(
        name="甲村", kind="residential", region=a["county"], population=300, area=multi(square(LON, LAT + 0.004, 100))
    )
    scenario = Scenario.objects.create(
        name="液氯泄漏", kind="toxic", enterprise=e1, substance=gas, source=Point(LON, LAT, srid=4326)
    )
    plume = Point(LON, LAT, srid=4326).buffer(0.0015, quadsegs=64)  # a 257-vertex ellipse, ≈ 140 m × 160 m
    zone = ConsequenceZone.objects.create(
        scenario=scenario,
        endpoint="AEGL-2",
        threshold=2.0,
        threshold_unit="ppm",
        severity="orange",
        area=MultiPolygon(plume, srid=4326),
        max_distance_m=160.0,
    )
    layout = [  # the layout of e1: an area, a line and a tank drawn over its equipment (geometries of any type)
        LayoutFeature.objects.create(
            enterprise=e1, kind="building", name="控制室", geometry=square(LON + 0.001, LAT - 0.001, 15)
        ),
        LayoutFeature.objects.create(
            enterprise=e1, kind="road", geometry=LineString((LON - 0.0015, LAT), (LON + 0.0015, LAT), srid=4326)
        ),
        LayoutFeature.objects.create(
            enterprise=e1,
            kind="tank",
            name="T1 储罐",
            code="T1",
            geometry=square(LON, LAT, 5),
            equipment=Equipment.objects.get(hazard_source=sources[0]),
        ),
    ]
    users = {
        "admin": User.objects.create(username="admin", is_superuser=True, is_staff=True),
        "regulator": User.objects.create(username="regulator", region=a["park"], role="regulator"),
        "commander": User.objects.create(username="commander", region=a["park"], role="emergency"),
        "operator": User.objects.create(username="operator", enterprise=e1, region=a["park"], role="enterprise"),
        "elsewhere": User.objects.create(username="elsewhere", region=b["province"], role="regulator"),
    }
    return {
        "regions": a,
        "enterprises": (e1, e2, e3),
        "sources": sources,
        "sensors": sensors,
        "tag": tag,
        "open_alarm": open_alarm,
        "closed_alarm": closed_alarm,
        "fence": fence,
        "station": station,
        "village": village,
        "zone": zone,
        "layout": layout,
        "users": users,
    }


@pytest.fixture
def as_user(client):
    """``as_user(user)``: the test client signed in as ``user`` (None: anonymous)."""

    def sign_in(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return sign_in


from tests.plant_plans.fixtures import plan_world  # noqa: E402, F401  (the site-plan tile tests' world)
