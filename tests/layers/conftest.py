"""Fixtures of the OGC API tests: two provinces with one enterprise each, their users and tokens, a live server.

Province A (310000) holds enterprise e1 with a tank-area unit, a tank, sensors, a personnel tag and
an alarm; province B (320000) holds enterprise e2 with a sensor. Users: a superuser, A's regulator,
A's emergency commander, e1's operator and B's regulator, each with an API token.
``every_collection`` adds located rows of every collection in both provinces.
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time

import pytest
import uvicorn
from django.contrib.gis.geos import MultiPolygon, Point
from django.test import Client

from geo.models import (
    Alarm,
    ConsequenceZone,
    EmergencyResource,
    Fence,
    LayoutFeature,
    PersonnelTag,
    Quality,
    Region,
    Scenario,
    SensitiveTarget,
    User,
)
from layers.tokens import issue
from tests.factories import LAT, LON, enterprise, hazard_source, region_chain, sensor, square, substance, tank


class OgcClient:
    """Django's test client speaking to /ogc/ with an optional API token, asking for English.

    The server answers in Chinese unless asked otherwise; the tests assert the English source messages
    (a test that checks the Chinese sends its own Accept-Language).
    """

    def __init__(self, token: str | None = None) -> None:
        self.client = Client()
        self.headers = {"Accept-Language": "en"} | ({"Authorization": f"Bearer {token}"} if token else {})

    def get(self, path: str, data: dict | None = None, **headers):
        return self.client.get(f"/ogc/{path.lstrip('/')}", data, headers={**self.headers, **headers})

    def post(self, path: str, body, **headers):
        return self.client.post(
            f"/ogc/{path.lstrip('/')}", body, content_type="application/json", headers={**self.headers, **headers}
        )


@pytest.fixture
def world(db):
    a, b = region_chain("310000", "甲"), region_chain("320000", "乙")
    e1 = enterprise(a["park"], serial=1)
    e2 = enterprise(b["park"], serial=2, lon=LON + 0.05)
    source = hazard_source(e1, registered_on=dt.date(2025, 3, 1))
    chlorine = substance("氯", "7782-50-5", seq=12)
    t1 = tank(source, chlorine, 20_000.0, code="T1")
    level = sensor(e1, tag="LT-101", kind="level", unit="%", hi=80.0, equipment=t1)
    level.value, level.value_time, level.quality, level.alarm_state = (
        85.5,
        dt.datetime(2026, 1, 15, 8, tzinfo=dt.UTC),
        Quality.GOOD,
        "hi",
    )
    level.save(update_fields=["value", "value_time", "quality", "alarm_state"])
    gas = sensor(e1, tag="AT-201", kind="combustible_gas", unit="%LEL", hi=20.0)
    other = sensor(e2, tag="LT-901", kind="level", unit="%")
    person = PersonnelTag.objects.create(enterprise=e1, code="TAG-1", holder="张三")
    PersonnelTag.objects.filter(pk=person.pk).update(location=Point(LON, LAT, srid=4326))
    alarm = Alarm.objects.create(
        sensor=level, kind="hi", started_at=dt.datetime(2026, 1, 15, 8, tzinfo=dt.UTC), value=85.5, threshold=80.0
    )
    users = {
        "root": User.objects.create(username="root", is_superuser=True),
        "regulator": User.objects.create(username="regulator", region=a["province"], role="regulator"),
        "commander": User.objects.create(username="commander", region=a["province"], role="emergency"),
        "operator": User.objects.create(username="operator", enterprise=e1, region=a["park"], role="enterprise"),
        "outsider": User.objects.create(username="outsider", region=b["province"], role="regulator"),
    }
    tokens = {name: issue(user, f"{name} client")[1] for name, user in users.items()}
    return {
        "a": a,
        "b": b,
        "e1": e1,
        "e2": e2,
        "source": source,
        "tank": t1,
        "level": level,
        "gas": gas,
        "other": other,
        "person": person,
        "alarm": alarm,
        "users": users,
        "tokens": tokens,
    }


@pytest.fixture
def every_collection(world):
    """``world`` with located rows of every collection in both provinces, and B's emergency commander.

    ``world["rows"]["a"]`` and ``["b"]`` map each collection id but ``regions`` (public, read whole)
    to the ids of its rows in province A or B; ``world["users"]["commander_b"]`` commands B.
    """
    for region in Region.objects.all():
        region.boundary = MultiPolygon(square(LON, LAT, 5_000 + 1_000 * len(region.path)), srid=4326)
        region.save()
    Alarm.objects.filter(pk=world["alarm"].pk).update(location=Point(LON, LAT, srid=4326))
    chlorine = world["tank"].substance
    e2, other = world["e2"], world["other"]
    source_b = hazard_source(e2, code="HS09")
    tank_b = tank(source_b, chlorine, 10_000.0, code="T9")
    alarm_b = Alarm.objects.create(
        sensor=other, kind="hi", started_at=dt.datetime(2026, 1, 15, 9, tzinfo=dt.UTC), location=other.location
    )
    person_b = PersonnelTag.objects.create(
        enterprise=e2, code="TAG-9", holder="李四", location=Point(LON + 0.05, LAT, srid=4326)
    )
    rows = {
        "a": {
            "enterprises": {world["e1"].pk},
            "hazard-sources": {world["source"].pk},
            "equipment": {world["tank"].pk},
            "sensors": {world["level"].pk, world["gas"].pk},
            "alarms": {world["alarm"].pk},
            "personnel": {world["person"].pk},
        },
        "b": {
            "enterprises": {e2.pk},
            "hazard-sources": {source_b.pk},
            "equipment": {tank_b.pk},
            "sensors": {other.pk},
            "alarms": {alarm_b.pk},
            "personnel": {person_b.pk},
        },
    }
    for side, ent, regions in (("a", world["e1"], world["a"]), ("b", e2, world["b"])):
        lon = ent.site.centroid.x
        fence = Fence.objects.create(enterprise=ent, name="罐区禁区", kind="restricted", area=square(lon, LAT, 40))
        scenario = Scenario.objects.create(
            name="T1 泄漏", kind="toxic", enterprise=ent, substance=chlorine, source=Point(lon, LAT, srid=4326)
        )
        zone = ConsequenceZone.objects.create(
            scenario=scenario,
            endpoint="AEGL-2",
            threshold=2.0,
            threshold_unit="ppm",
            severity="orange",
            area=MultiPolygon(square(lon, LAT, 300), srid=4326),
            max_distance_m=300.0,
        )
        station = EmergencyResource.objects.create(
            name="园区消防站", kind="fire_station", region=regions["park"], location=Point(lon + 0.01, LAT, srid=4326)
        )
        school = SensitiveTarget.objects.create(
            name="学校",
            kind="school",
            region=regions["county"],
            area=MultiPolygon(square(lon, LAT + 0.02, 100)),
            population=800,
        )
        tank_outline = LayoutFeature.objects.create(
            enterprise=ent, kind="tank", name="T1 储罐", code="T1", geometry=square(lon, LAT, 5)
        )
        rows[side].update(
            {
                "layout-features": {tank_outline.pk},
                "fences": {fence.pk},
                "consequence-zones": {zone.pk},
                "emergency-resources": {station.pk},
                "sensitive-targets": {school.pk},
            }
        )
    commander_b = User.objects.create(username="commander_b", region=world["b"]["province"], role="emergency")
    world["users"]["commander_b"] = commander_b
    world["tokens"]["commander_b"] = issue(commander_b, "commander_b client")[1]
    world["rows"] = rows
    return world


@pytest.fixture
def as_user(world):
    """``as_user("commander")`` is an OGC client with that user's token (None: anonymous)."""
    return lambda name=None: OgcClient(world["tokens"][name] if name else None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(django_db_setup, django_db_blocker):
    """hazmap's ASGI application under uvicorn on a free port of 127.0.0.1; yields its base URL.

    One server for the session; tests that use it write with ``transaction=True`` so that it sees the rows.
    """
    from hazmap.asgi import application

    port = free_port()
    config = uvicorn.Config(application, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    for _ in range(500):
        if instance.started:
            break
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=10)
    _close_server_connections(django_db_blocker)


def _close_server_connections(django_db_blocker) -> None:
    """End the server threads' database sessions, so that the test database can be dropped."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return  # SQLite connections of finished threads hold no lock
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
