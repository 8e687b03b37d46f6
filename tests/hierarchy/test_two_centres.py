"""Two centres on one machine: the county forwards to the city over a Mosquitto of the test's own, through outages.

The city (the parent) runs in this process on the test database; the county (the child) is another
process with a database of its own (a SpatiaLite file, or a PostGIS database beside the test's),
made, filled and changed by ``hazmap migrate``, ``hazmap shell`` and run by ``hazmap hierarchy``.
Between the two: the broker stopped while the county changes its registry, then the city away
(its listener stopped) while the county goes on and its forwarder is killed with SIGKILL and started
again. Afterwards the city holds exactly what the county holds — every row once, nothing lost — and the
one summary the county made of its region when its forwarder first started (none again when it was
restarted within the interval), the county has nothing left to send, and a city regulator opens the
county's live readings of a source.

Mosquitto listens on a free port (``tests.acquisition.broker``); the shared broker on 1883 is never touched.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from acquisition import keys, sm
from geo.models import AuditEntry, Enterprise, Equipment, HazardSource, Summary, User
from hierarchy.receive import listener
from tests import factories
from tests.acquisition.broker import own_mosquitto  # noqa: F401 - fixture
from tests.acquisition.test_uplink import wait_for
from tests.hierarchy import county
from tests.hierarchy.conftest import child_gateway

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
HAZMAP = str(Path(sys.executable).with_name("hazmap"))
PREFIX = "hazmap-hier-test"


def postgis_admin(sql: str) -> None:
    """Run ``sql`` on the PostGIS server of the tests, outside any database."""
    import psycopg

    db = settings.DATABASES["default"]
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"],
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(sql)


def child_database(tmp_path: Path) -> str:
    """A new, empty database for the county, on the backend the tests run on (PostGIS: ``{test database}_county``)."""
    db = settings.DATABASES["default"]
    if not db["ENGINE"].endswith("postgis"):
        return f"spatialite:///{tmp_path / 'county.sqlite3'}"
    name = f"{db['NAME']}_county"
    postgis_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    postgis_admin(f'CREATE DATABASE "{name}"')
    return f"postgis://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


class County:
    """The county centre: its environment, its commands, its forwarder process."""

    def __init__(self, tmp_path: Path, broker, parent_key: Path) -> None:
        var = tmp_path / "county"
        var.mkdir()
        key = sm.generate_private_key()
        keys.write_private_key(var / "centre-sm2.pem", key)
        self.public_key = key.public_key()
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": child_database(tmp_path),
            "HAZMAP_VAR_DIR": str(var),
            "HAZMAP_CENTRE_REGION": "310116",
            "HAZMAP_CENTRE_KEY": str(var / "centre-sm2.pem"),
            "HAZMAP_PARENT_KEY": str(parent_key),
            "HAZMAP_PARENT_BROKER": f"mqtt://{broker.host}:{broker.port}",
            "HAZMAP_MQTT_PREFIX": PREFIX,
            "HAZMAP_LOG_LEVEL": "WARNING",
        }
        self.env.pop("HAZMAP_BROKER", None)  # the county listens for no children of its own here
        self.log = open(var / "forwarder.log", "ab")  # closed by stop()
        self.process: subprocess.Popen | None = None

    def hazmap(self, *args: str) -> str:
        done = subprocess.run([HAZMAP, *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"hazmap {' '.join(args)}: {done.stderr}"
        return done.stdout

    def do(self, step: str) -> dict:
        """Do ``step`` of ``tests.hierarchy.county`` in the county's database; what the county holds then."""
        printed = self.hazmap("shell", "-c", f"from tests.hierarchy import county; county.then_state({step!r})")
        return json.loads(printed.strip().splitlines()[-1])  # after the shell's own line

    def state(self) -> dict:
        return self.do("")

    def waiting(self) -> int:
        """How many changes wait in the county's queue, read from its database directly (no process to start)."""
        url = self.env["DATABASE_URL"]
        if url.startswith("spatialite:"):
            with sqlite3.connect(url.removeprefix("spatialite://")) as db:
                return db.execute("SELECT count(*) FROM geo_forward").fetchone()[0]
        import psycopg

        with psycopg.connect(url.replace("postgis://", "postgresql://")) as db:
            return db.execute("SELECT count(*) FROM geo_forward").fetchone()[0]

    def start(self) -> None:
        self.process = subprocess.Popen([HAZMAP, "hierarchy"], cwd=ROOT, env=self.env, stdout=self.log, stderr=self.log)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(20)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(20)
        self.log.close()
        url = self.env["DATABASE_URL"]
        if url.startswith("postgis:"):
            postgis_admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


class City:
    """The city centre in this process: its key, its listener for child centres."""

    def __init__(self, tmp_path: Path, broker) -> None:
        self.key_file = tmp_path / "city-sm2.pem"
        keys.write_private_key(self.key_file, sm.generate_private_key())
        self.key = keys.private_key(self.key_file)
        self.public_file = tmp_path / "city-sm2.pub.pem"
        self.public_file.write_bytes(sm.public_key_pem(self.key.public_key()))
        self.broker = broker
        self.listener = None

    def listen(self) -> None:
        self.listener = listener(self.broker, PREFIX, self.key, client_id="hazmap-parent-test")
        self.listener.start()
        wait_for(self.listener.connected.is_set, what="the city to connect to the broker")

    def away(self) -> None:
        self.listener.stop()
        self.listener = None


def holds(expected: dict):
    """A condition: the city holds exactly ``expected`` (the county's snapshot)."""

    def condition() -> bool:
        return county.snapshot() == expected

    return condition


def test_the_city_catches_up_with_the_county_after_outages_without_loss_or_duplicates(
    tmp_path,
    own_mosquitto,  # noqa: F811
    monkeypatch,
):
    regions = factories.region_chain()
    city = City(tmp_path, own_mosquitto.broker)
    child = County(tmp_path, own_mosquitto.broker, city.public_file)
    child_gateway("310116", regions["county"], sm.generate_private_key())  # the county's key is set below
    from acquisition.models import Gateway

    Gateway.objects.filter(code="310116").update(credential=sm.public_key_pem(child.public_key).decode())
    city.listen()
    try:
        first = child.do("setup")["state"]  # migrated and seeded: its changes wait for a forwarder
        child.start()
        wait_for(holds(first), timeout=30, what="the county's registry at the city")
        # the county's summary, made when its forwarder started: of the seed, as nothing changes before it is here
        wait_for(Summary.objects.exists, timeout=30, what="the county's summary at the city")

        own_mosquitto.stop()  # outage 1: no broker
        second = child.do("while_the_broker_is_down")["state"]
        own_mosquitto.start()
        wait_for(holds(second), timeout=45, what="the city to catch up after the broker's outage")

        city.away()  # outage 2: the city away, and the county's forwarder killed and started again
        final = child.do("while_the_parent_is_away")
        child.kill()
        child.start()
        city.listen()
        wait_for(holds(final["state"]), timeout=45, what="the city to catch up after being away")
        wait_for(lambda: child.waiting() == 0, timeout=30, what="the county's queue to be acknowledged")

        # every row once: the county's two enterprises, its two units (HS01, HS03), one tank, one alarm
        assert (Enterprise.objects.count(), HazardSource.objects.count(), Equipment.objects.count()) == (2, 2, 1)
        assert sorted(HazardSource.objects.values_list("code", "registry_status")) == [
            ("HS01", "registered"),
            ("HS03", "draft"),
        ]
        (alarm,) = final["state"]["alarm"]
        assert alarm["state"] == "closed"
        assert [a[0] for a in final["state"]["audit"]] == sorted(
            ["alarm.closed", "alarm.seen", "registry.apply", "registry.register"]
        )
        assert not AuditEntry.objects.filter(action="hierarchy.apply").exists()  # no change was refused
        (summary,) = Summary.objects.all()  # once, through the outages and the forwarder's restart
        assert (summary.centre, summary.region.code, summary.received_from) == ("310116", "310116", "310116")
        assert summary.figures == {
            "hazard_sources": {
                "total": 1,
                "major": 1,
                "by_grade": {"1": 0, "2": 0, "3": 1, "4": 0, "none": 0},  # R = 22.5
                "by_status": {"draft": 0, "applied": 1, "registered": 0, "cancel_applied": 0, "cancelled": 0},
                "by_risk_level": {"red": 0, "orange": 0, "yellow": 1, "blue": 0},  # grade 3 (20) + a silent sensor (5)
            },
            "alarms": {
                "open": 0,
                "open_by_level": {"1": 0, "2": 0},
                "overdue": 0,
                "raised": 0,
                "raised_by_level": {"1": 0, "2": 0},
            },
            "sensors": {"total": 1, "online": 0, "stale": 1, "offline": 0, "never_reported": 0},  # silent since 2025
        }

        # a city regulator opens the county's live readings of the tank area
        monkeypatch.setenv("HAZMAP_BROKER", f"mqtt://{own_mosquitto.broker.host}:{own_mosquitto.broker.port}")
        monkeypatch.setenv("HAZMAP_MQTT_PREFIX", PREFIX)
        monkeypatch.setenv("HAZMAP_CENTRE_KEY", str(city.key_file))
        monkeypatch.setenv("HAZMAP_CENTRE_CODE", "310100")
        regulator = User.objects.create_user("city", region=regions["city"], role="regulator")
        browser = Client(HTTP_ACCEPT_LANGUAGE="en")
        browser.force_login(regulator)
        source = HazardSource.objects.get(code="HS01")
        answer = browser.get(f"/app/hazard-sources/{source.pk}/live")
        assert answer.status_code == 200, answer.content
        body = answer.json()
        assert body["centre"] == "310116"
        assert [(s["tag"], s["value"], s["unit"]) for s in body["sensors"]] == [("T1-LT1", county.LEVEL_PCT, "%")]
        assert AuditEntry.objects.filter(action="hierarchy.live", actor=regulator, outcome="done").count() == 1
    finally:
        child.stop()
        if city.listener is not None:
            city.away()
