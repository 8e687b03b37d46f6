"""What the county centre's people do in the two-centre test, run in the county's own process and database.

``hazmap shell -c "from tests.hierarchy import county; county.then_state('seed')"`` and so on: each step
saves and deletes rows as the admin or a workflow would, through ``save()`` and ``delete()``; ``state()``
prints what the county holds then, as the parent must come to hold it (``snapshot``, also called at the
parent).
"""

from __future__ import annotations

import datetime as dt
import json

from django.contrib.gis.geos import Point
from django.core.management import call_command

from geo.audit import record
from geo.models import Alarm, AuditEntry, Enterprise, Equipment, HazardSource, Sensor
from hierarchy.kinds import KINDS
from tests import factories

LEVEL_PCT = 63.5  # the tank's level at the county when the city asks for it
STARTED = dt.datetime(2025, 5, 1, 8, 0, tzinfo=dt.UTC)


def setup() -> None:
    """A new county database: migrated, then ``seed``."""
    call_command("migrate", interactive=False, verbosity=0)
    seed()


def seed() -> None:
    """The county's registry before it meets its parent: a park, an enterprise, a tank area with a gauged tank."""
    regions = factories.region_chain()
    substance = factories.substance(liquid_density_kg_m3=1434.0)
    enterprise = factories.enterprise(regions["park"], serial=1)
    source = factories.hazard_source(enterprise, registry_status="applied")
    tank = factories.tank(source, substance, 150_000.0, capacity_m3=100.0, diameter_m=4.0, height_m=8.0)
    level = factories.sensor(enterprise, "T1-LT1", "level", "%", equipment=tank, range_min=0.0, range_max=100.0)
    Sensor.objects.filter(pk=level.pk).update(value=LEVEL_PCT, value_time=STARTED, quality=0)  # as ingest writes it
    record(None, "registry.apply", source, actor_name="county-operator", reason="备案申请")


def while_the_broker_is_down() -> None:
    """Registration, a second unit with its tank, an alarm, more residents near the site."""
    source = HazardSource.objects.get(code="HS01")
    source.registry_status, source.registered_on = "registered", dt.date(2025, 5, 2)
    source.save()
    record(None, "registry.register", source, actor_name="county-regulator", reason="准予备案")
    second = factories.hazard_source(source.enterprise, code="HS02")
    factories.tank(second, source.equipment.get().substance, 40_000.0, code="T2", capacity_m3=30.0)
    Alarm.objects.create(
        enterprise=source.enterprise,
        hazard_source=source,
        kind="hihi",
        level=2,
        value=96.5,
        threshold=95.0,
        unit="%",
        started_at=STARTED,
        location=Point(factories.LON, factories.LAT, srid=4326),
        message="T1-LT1 液位高高报警",
    )
    enterprise = Enterprise.objects.get()
    enterprise.population_500m = 120  # α of GB 18218-2018 Table 5 rises: every source is regraded
    enterprise.save()


def while_the_parent_is_away() -> None:
    """The alarm handled to closure, a tank removed, a unit renamed, a new enterprise."""
    alarm = Alarm.objects.get()
    for state in ("seen", "closed"):
        alarm.state = state
        alarm.closed_at = STARTED + dt.timedelta(hours=2) if state == "closed" else None
        alarm.save()
        record(None, f"alarm.{state}", alarm, actor_name="county-duty")
    Equipment.objects.get(code="T2").delete()
    second = HazardSource.objects.get(code="HS02")
    second.code, second.name = "HS03", "HS03 仓库"
    second.save()
    region = Enterprise.objects.get().region
    factories.enterprise(region, serial=2, lon=factories.LON + 0.01)


def snapshot(exclude_actions: str = "hierarchy.") -> dict:
    """The forwarded rows of this database as a child writes them down (natural keys, no ids), sorted."""
    state = {}
    for name in ("enterprise", "hazard_source", "equipment", "alarm"):
        kind = KINDS[name]
        rows = kind.model._default_manager.select_related(*kind.related)
        state[name] = sorted((kind.dump(row) for row in rows), key=lambda d: json.dumps(d, sort_keys=True))
    entries = AuditEntry.objects.exclude(action__startswith=exclude_actions)
    state["audit"] = sorted([e.action, e.reason, e.time.isoformat()] for e in entries)
    return state


def state() -> None:
    """Print ``snapshot()`` and how many changes still wait for the parent, as one JSON line."""
    from geo.models import Forward

    print(json.dumps({"state": snapshot(), "waiting": Forward.objects.count()}, ensure_ascii=False))


def then_state(step: str) -> None:
    """Do ``step`` (none when empty), then print the ``state``: one process for both."""
    if step:
        globals()[step]()
    state()
