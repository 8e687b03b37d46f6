"""The demo data (geo/demo, `hazmap load-demo`): what the park holds, that it is deterministic, realistic
where the standards say how (GB 50160 tank spacing and dikes, GB/T 50493 detector set points, GB 18218
grading) and that an invalid object leaves nothing written.

Golden numbers are the park's documented counts and the standards' values, written out here; none is
read back from geo/demo.
"""

from __future__ import annotations

import itertools
import json
import math
from io import StringIO

import numpy as np
import pyproj
import pytest
import shapely
from django.contrib.gis.geos import GEOSGeometry, Point
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from geo import gb18218
from geo.demo import generated, park
from geo.demo.frame import LocalFrame
from geo.demo.loader import SUBSTANCES_FILE, load
from geo.grading import regrade
from geo.models import (
    EmergencyResource,
    Enterprise,
    Equipment,
    Fence,
    HazardSource,
    PersonnelTag,
    Region,
    SensitiveTarget,
    Sensor,
    Substance,
    User,
)
from geo.scope import scoped
from geo.validators import validate_region_code

SEED = 7
PARK_LON, PARK_LAT = 121.330, 30.806

# The park's documented counts (geo/demo/shanghai.py); they do not depend on the seed.
PARK_COUNTS = {
    Substance: 20,
    Region: 5,
    Enterprise: 20,
    HazardSource: 40,
    Equipment: 93,
    Sensor: 1309,
    Fence: 64,
    PersonnelTag: 110,
    EmergencyResource: 8,
    SensitiveTarget: 10,
    User: 7,  # one account per role, two regulators: province and park (see geo.demo.loader._accounts)
}
PARK_DETAIL = {
    "tank areas": 23,
    "warehouses": 6,
    "production sites": 11,
    "tanks": 62,
    "warehouse rooms": 8,
    "process units": 23,
    "people": 100,
    "vehicles": 10,
}

# GB 50160-2008 (2018 年版): shell-to-shell spacing in a tank group / diameter of the larger tank.
SPACING = {
    ("fixed_roof", "small"): 0.75,  # ≤ 1000 m³
    ("fixed_roof", "large"): 0.6,  # > 1000 m³
    ("internal_floating", None): 0.4,
    ("external_floating", None): 0.4,
    ("sphere", None): 1.0,  # pressurised, no relief to a flare
    ("horizontal", None): 1.0,  # pressurised liquefied gas
}


def spacing_fraction(tank: Equipment) -> float:
    if tank.tank_type == "fixed_roof":
        return SPACING[("fixed_roof", "small" if tank.capacity_m3 <= 1000 else "large")]
    return SPACING[(tank.tank_type, None)]


FRAME = LocalFrame(PARK_LON, PARK_LAT)


def metres(geometry: GEOSGeometry) -> shapely.Geometry:
    """A stored geometry in metres round the park (azimuthal equidistant, pyproj)."""
    return FRAME.local(geometry)


def load_quietly(**options) -> str:
    out = StringIO()
    call_command("load-demo", stdout=out, **options)
    return out.getvalue()


# --- the park, loaded once for the tests that only read it ---------------------------------------


@pytest.fixture(scope="class")
def loaded(django_db_setup, django_db_blocker):
    """The park loaded with SEED inside a transaction that is rolled back after the class's tests."""
    with django_db_blocker.unblock(), transaction.atomic():
        report = load(scale="park", seed=SEED)
        yield report
        transaction.set_rollback(True)


@pytest.mark.django_db
@pytest.mark.usefixtures("loaded")
class TestThePark:
    def test_holds_the_documented_counts(self):
        for model, count in PARK_COUNTS.items():
            assert model.objects.count() == count, model.__name__
        kinds = HazardSource.objects.values_list("kind", flat=True)
        assert list(kinds).count("tank_area") == PARK_DETAIL["tank areas"]
        assert list(kinds).count("warehouse") == PARK_DETAIL["warehouses"]
        assert list(kinds).count("production") == PARK_DETAIL["production sites"]
        assert Equipment.objects.filter(kind="tank").count() == PARK_DETAIL["tanks"]
        assert Equipment.objects.filter(kind="warehouse").count() == PARK_DETAIL["warehouse rooms"]
        assert Equipment.objects.filter(kind="process_unit").count() == PARK_DETAIL["process units"]
        assert PersonnelTag.objects.filter(kind="person").count() == PARK_DETAIL["people"]
        assert PersonnelTag.objects.filter(kind="vehicle").count() == PARK_DETAIL["vehicles"]

    def test_every_company_has_one_to_four_units(self):
        for enterprise in Enterprise.objects.all():
            assert 1 <= enterprise.hazard_sources.count() <= 4, enterprise.name

    def test_holds_every_grade_and_units_that_are_not_major(self):
        grades = set(HazardSource.objects.values_list("gb_grade", flat=True))
        assert {1, 2, 3, 4} <= grades
        not_major = HazardSource.objects.filter(is_major=False)
        assert not_major.exists()
        assert all(source.gb_s < 1 and source.gb_grade is None for source in not_major)

    def test_grading_is_what_geo_grading_regrade_stores(self):
        fields = ("gb_s", "is_major", "gb_r", "gb_alpha", "gb_grade", "grading")
        for source in HazardSource.objects.select_related("enterprise"):
            loaded = {name: getattr(source, name) for name in fields}
            regrade(source)
            assert {name: getattr(source, name) for name in fields} == loaded, source.name

    def test_major_sources_are_mostly_registered_on_dates_over_several_years(self):
        major = HazardSource.objects.filter(is_major=True)
        registered = major.filter(registry_status="registered")
        assert registered.count() >= 0.7 * major.count()
        assert all(source.registered_on is not None for source in registered)
        assert len({source.registered_on.year for source in registered}) >= 4
        assert not HazardSource.objects.filter(is_major=False, registry_status="registered").exists()

    def test_accident_types_follow_the_substances(self):
        chlorine = HazardSource.objects.get(enterprise__name="上海沪湾氯碱化工有限公司", kind="tank_area")
        assert (chlorine.accident_poisoning, chlorine.accident_fire) == (True, False)
        lpg = HazardSource.objects.get(enterprise__name="上海杭湾液化气有限公司")
        assert (lpg.accident_fire, lpg.accident_explosion, lpg.accident_poisoning) == (True, True, False)

    def test_every_tank_lies_in_its_dike_at_half_its_height_from_the_wall(self):
        for source in HazardSource.objects.filter(kind="tank_area"):
            dike = metres(source.footprint)
            for tank in source.equipment.all():
                shell = metres(tank.footprint)
                assert dike.contains(shell), tank
                clearance = dike.boundary.distance(shell)
                assert clearance >= max(tank.height_m / 2, 3.0) - 0.01, (tank, clearance)

    def test_tank_spacing_in_every_group_is_the_gb50160_fraction_of_the_larger_diameter(self):
        for source in HazardSource.objects.all():
            tanks = list(source.equipment.filter(kind="tank"))
            for a, b in itertools.combinations(tanks, 2):
                gap = metres(a.footprint).distance(metres(b.footprint))
                required = max(spacing_fraction(a), spacing_fraction(b)) * max(a.diameter_m, b.diameter_m)
                assert gap >= required - 0.01, (source.name, a.code, b.code, gap, required)

    def test_tank_dimensions_hold_the_capacity_and_the_design_quantity_fits(self):
        for tank in Equipment.objects.filter(kind="tank").select_related("substance"):
            d, h, v = tank.diameter_m, tank.height_m, tank.capacity_m3
            if tank.tank_type == "sphere":
                volume = math.pi * d**3 / 6
            elif tank.tank_type == "horizontal":
                length = metres(tank.footprint).area / d
                volume = math.pi * d**2 * length / 4
            else:
                assert 12.0 <= h <= 20.0, tank
                volume = math.pi * d**2 * h / 4
            assert volume == pytest.approx(v, rel=0.02), tank
            assert math.isclose(metres(tank.footprint).area, math.pi * d**2 / 4, rel_tol=0.01) or (
                tank.tank_type == "horizontal"
            )
            # at most 90 % full of liquid (TSG 21-2016 for liquefied gases), at the liquid's density
            density = tank.substance.liquid_density_kg_m3
            assert density is None or tank.design_max_kg <= 0.9 * v * density + 1e-6, tank

    def test_equipment_lies_in_its_unit_and_the_unit_in_its_site_and_the_site_in_the_park(self):
        park_region = Region.objects.get(code="310116P01")
        for source in HazardSource.objects.select_related("enterprise"):
            assert source.enterprise.site.covers(source.footprint), source
            for item in source.equipment.all():
                assert source.footprint.covers(item.footprint), item
        for enterprise in Enterprise.objects.all():
            assert park_region.boundary.covers(enterprise.site), enterprise

    def test_regions_are_nested_schematic_polygons_with_real_codes(self):
        chain = {r.code: r for r in Region.objects.all()}
        assert {code: r.level for code, r in chain.items()} == {
            "100000": "national",
            "310000": "province",
            "310100": "city",
            "310116": "county",
            "310116P01": "park",
        }
        assert chain["100000"].boundary is None  # no national border is drawn
        for inner, outer in (("310100", "310000"), ("310116", "310100"), ("310116P01", "310116")):
            assert chain[inner].parent == chain[outer]
            assert chain[inner].path == chain[outer].path + inner + "/"
            assert chain[outer].boundary.covers(chain[inner].boundary), inner
        for target in SensitiveTarget.objects.all():
            assert target.region == chain["310116"] and chain["310116"].boundary.covers(target.area)

    def test_everything_is_on_land_north_of_hangzhou_bay(self):
        geometries = [r.boundary for r in Region.objects.exclude(boundary=None)]
        geometries += [e.site for e in Enterprise.objects.all()]
        geometries += [t.area for t in SensitiveTarget.objects.all()]
        geometries += [r.location for r in EmergencyResource.objects.all()]
        geometries += [s.location for s in Sensor.objects.all()]
        assert min(g.extent[1] for g in geometries) > 30.785

    def test_population_within_500_m_is_measured_in_metres_from_the_villages(self):
        """Recomputed here in UTM zone 51N: each target counts in proportion to its area within 500 m."""
        utm = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:32651", always_xy=True)

        def to_utm(geometry: GEOSGeometry) -> shapely.Geometry:
            return shapely.transform(
                shapely.from_wkb(bytes(geometry.wkb)), lambda xy: np.column_stack(utm.transform(xy[:, 0], xy[:, 1]))
            )

        targets = [(to_utm(t.area), t.population) for t in SensitiveTarget.objects.all()]
        for enterprise in Enterprise.objects.all():
            zone = to_utm(enterprise.site).buffer(500.0)
            expected = sum(people * shape.intersection(zone).area / shape.area for shape, people in targets)
            assert enterprise.population_500m == pytest.approx(expected, abs=2), enterprise.name
        by_name = {e.name: e.population_500m for e in Enterprise.objects.all()}
        assert by_name["上海沪湾氯碱化工有限公司"] >= 100  # next to 北塘新村: α = 2
        assert by_name["上海海晨芳烃有限公司"] == 0  # inside the park, on the shore: α = 0.5
        alphas = {gb18218.correction_alpha(p) for p in by_name.values()}
        assert alphas == {0.5, 1.0, 1.2, 1.5, 2.0}

    def test_sensors_have_ranges_and_rising_thresholds_and_no_live_value(self):
        assert not Sensor.objects.exclude(value=None).exists()
        assert not Sensor.objects.exclude(value_time=None).exists()
        assert set(Sensor.objects.values_list("alarm_state", flat=True)) == {"normal"}
        assert not PersonnelTag.objects.exclude(location=None).exists()
        for sensor in Sensor.objects.all():
            assert sensor.range_min < sensor.range_max, sensor
            set_points = [v for v in (sensor.lolo, sensor.lo, sensor.hi, sensor.hihi) if v is not None]
            assert set_points == sorted(set(set_points)), sensor
            assert all(sensor.range_min <= v <= sensor.range_max for v in set_points), sensor

    def test_tanks_carry_level_temperature_and_pressure_for_pressurised_storage(self):
        for tank in Equipment.objects.filter(kind="tank"):
            kinds = list(tank.sensors.values_list("kind", flat=True))
            assert kinds.count("level") >= 1 and kinds.count("temperature") >= 1, tank
            if tank.storage == "pressurised_liquefied":
                assert tank.sensors.get(kind="pressure").unit in ("kPa", "MPa"), tank

    def test_gas_detectors_alarm_at_gbt50493_set_points(self):
        combustible = Sensor.objects.filter(kind="combustible_gas")
        toxic = Sensor.objects.filter(kind="toxic_gas").select_related("substance")
        assert combustible.exists() and toxic.exists()
        for sensor in combustible:
            assert (sensor.unit, sensor.hi, sensor.hihi) == ("%LEL", 25.0, 50.0), sensor
        # first level 100 % and second 200 % of the GBZ 2.1-2019 OEL (MAC, else PC-TWA), mg/m³
        oel = {
            "氯": 1.0,
            "氨": 20.0,
            "硫化氢": 10.0,
            "氯化氢": 7.5,
            "环氧乙烷": 2.0,
            "氯乙烯": 10.0,
            "2-丙烯腈": 1.0,
            "苯": 6.0,
        }
        for sensor in toxic:
            assert sensor.unit == "mg/m³", sensor
            assert (sensor.hi, sensor.hihi) == (oel[sensor.substance.name_cn], 2 * oel[sensor.substance.name_cn])
        chlorine_area = HazardSource.objects.get(enterprise__name="上海沪湾氯碱化工有限公司", kind="tank_area")
        assert chlorine_area.sensors.filter(kind="toxic_gas", substance__name_cn="氯").exists()

    def test_the_park_has_one_weather_station_of_its_own_that_every_park_user_sees(self):
        station = Sensor.objects.filter(device_code="WS-01")
        assert set(station.values_list("enterprise", "region__code")) == {(None, "310116P01")}
        operator = User.objects.get(username="operator")
        assert scoped(station, operator).count() == 4
        assert sorted(station.values_list("kind", flat=True)) == [
            "air_temperature",
            "relative_humidity",
            "wind_direction",
            "wind_speed",
        ]

    def test_fences_round_tank_areas_toxic_units_and_a_muster_point_per_company(self):
        for source in HazardSource.objects.exclude(kind="warehouse"):
            fence = source.fences.get(kind="hazardous")
            assert fence.area.covers(source.footprint)
        chlorine = HazardSource.objects.get(enterprise__name="上海沪湾氯碱化工有限公司", kind="tank_area")
        assert chlorine.fences.filter(kind="restricted").exists()
        for enterprise in Enterprise.objects.all():
            assert enterprise.fences.filter(kind="muster").count() == 1

    def test_the_demo_accounts_see_their_scope(self):
        users = {u.username: u for u in User.objects.all()}
        assert set(users) == {"admin", "shanghai", "regulator", "park", "inspector", "planner", "operator"}
        assert all(u.check_password("hazmap-demo") for u in users.values())
        assert users["admin"].is_superuser
        assert (users["shanghai"].role, users["shanghai"].region.code) == ("regulator", "310000")
        assert (users["regulator"].role, users["regulator"].region.code) == ("regulator", "310116P01")
        assert (users["park"].role, users["park"].region.code) == ("emergency", "310116P01")
        assert (users["inspector"].role, users["inspector"].region.code) == ("inspector", "310116P01")
        assert (users["planner"].role, users["planner"].region.code) == ("planner", "310116P01")
        operator = users["operator"]
        assert operator.role == "enterprise" and operator.enterprise.name == "上海沪湾氯碱化工有限公司"
        all_sources = HazardSource.objects.all()
        for name in ("shanghai", "regulator", "park", "inspector", "planner"):
            assert scoped(all_sources, users[name]).count() == PARK_COUNTS[HazardSource]
        assert set(scoped(all_sources, operator).values_list("enterprise", flat=True)) == {operator.enterprise_id}
        tags = PersonnelTag.objects.all()
        assert scoped(tags, users["park"]).count() == tags.count() > 0  # the commander sees where people are
        assert scoped(tags, users["shanghai"]).count() == 0  # a regulator does not
        for name in ("shanghai", "regulator", "park", "inspector", "planner", "operator"):
            assert users[name].is_staff
            assert users[name].has_perm("geo.view_sensor") and users[name].has_perm("geo.change_hazardsource")
            assert not users[name].has_perm("geo.change_user")

    def test_the_demo_api_token_acts_for_the_commander(self):
        from layers.tokens import DEMO_TOKEN, authenticate

        assert authenticate(DEMO_TOKEN).username == "park"


# --- loading ---------------------------------------------------------------------------------------


def snapshot() -> dict[str, list[tuple]]:
    """Every demo row in insertion order, foreign keys as positions, without ids and clock values."""
    models = (Substance, Region, Enterprise, HazardSource, Equipment, Sensor, Fence, PersonnelTag)
    models += (EmergencyResource, SensitiveTarget, User)
    volatile = {"graded_at", "password", "last_login", "date_joined"}
    position = {
        m: {pk: i for i, pk in enumerate(m.objects.order_by("pk").values_list("pk", flat=True))} for m in models
    }
    rows = {}
    for model in models:
        fields = [f for f in model._meta.concrete_fields if not f.primary_key and f.name not in volatile]
        rows[model.__name__] = [
            tuple(
                (f.related_model.__name__, position[f.related_model][v])
                if f.is_relation and v is not None
                else bytes(v.wkb)
                if isinstance(v, GEOSGeometry)
                else v
                for f in fields
                for v in (getattr(obj, f.attname),)
            )
            for obj in model.objects.order_by("pk")
        ]
    return rows


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_rows():
    load_quietly(seed=SEED)
    first = snapshot()
    load_quietly(seed=SEED, replace=True)
    assert snapshot() == first


def test_another_seed_changes_names_and_dates_but_not_the_park():
    """Built in memory (nothing saved): the layout and counts stay, names and registry dates change."""
    substances = {row["name_cn"]: Substance(**row) for row in json.loads(SUBSTANCES_FILE.read_text())["substances"]}
    built = []
    for seed in (1, 2):
        plan = next(generated.plans("park", seed))
        county, park_region = Region(code="310116", level="county"), Region(code="310116P01", level="park")
        built.append(park.build(plan.spec, park_region, county, substances, plan.rng, park.Counters(), None))
    one, two = built
    assert [len(objects) for _, objects in one.stages()] == [len(objects) for _, objects in two.stages()]
    assert [s.gb_grade for s in one.sources] == [s.gb_grade for s in two.sources]
    assert [e.site.wkb for e in one.enterprises] == [e.site.wkb for e in two.enterprises]
    assert [s.principal_name for s in one.sources] != [s.principal_name for s in two.sources]


@pytest.mark.django_db
def test_the_park_regulator_registers_the_demo_applications_and_replace_still_clears_everything():
    from geo import registry_workflow
    from geo.models import AuditEntry, RegistryEvent

    load_quietly(seed=SEED)
    regulator = User.objects.get(username="regulator")
    waiting = list(registry_workflow.awaiting(regulator))
    assert waiting and {s.registry_status for s in waiting} == {"applied"}
    registry_workflow.register(waiting[0], regulator)
    load_quietly(seed=SEED, replace=True)  # the registry history and the audit log go with the data
    assert (RegistryEvent.objects.count(), AuditEntry.objects.count()) == (0, 0)


@pytest.mark.django_db
def test_a_load_moves_every_tileset_version_so_no_tile_cached_before_it_is_current():
    from geo.models import Alarm, Event
    from layers.registry import COLLECTIONS
    from tiles import versions

    load_quietly(seed=SEED)
    before = {c: versions.current((c,)) for c in COLLECTIONS}
    assert all(before.values())  # the first load moved them from 0
    newest = Enterprise.objects.order_by("-pk").first()
    created = Event.objects.get(collection="enterprises", action="create")
    assert (created.feature_id, created.region_path) == (newest.pk, newest.region.path)  # a real row, in its scope
    Alarm.objects.create(enterprise=newest, kind="hi", level=1, started_at=timezone.now())  # a row --replace drops
    load_quietly(seed=SEED, replace=True)
    after = {c: versions.current((c,)) for c in COLLECTIONS}
    assert all(after[c] > before[c] for c in COLLECTIONS), [c for c in COLLECTIONS if after[c] <= before[c]]
    assert not Alarm.objects.exists()  # the park's demo holds no alarm: its collection was left empty
    gone = Event.objects.filter(collection="alarms").latest("id")
    assert (gone.action, gone.feature_id, gone.region_path) == ("delete", 0, "")  # no feature, no one's scope


@pytest.mark.django_db
def test_loading_twice_without_replace_is_refused_and_changes_nothing():
    load_quietly(seed=SEED)
    with pytest.raises(CommandError, match=r"already holds data.*--replace"):
        load_quietly(seed=SEED)
    assert Enterprise.objects.count() == PARK_COUNTS[Enterprise]
    assert Sensor.objects.count() == PARK_COUNTS[Sensor]


def _spoil_sensor(data: park.ParkData) -> str:
    sensor = next(s for s in data.sensors if s.kind == "level")
    sensor.hihi = sensor.hi - 5.0  # the thresholds no longer rise
    return sensor.tag


def _spoil_unit(data: park.ParkData) -> str:
    sensor = next(s for s in data.sensors if s.kind == "temperature")
    sensor.unit = "ppm"  # not a unit of temperature
    return sensor.tag


def _spoil_tank(data: park.ParkData) -> str:
    tank = next(e for e in data.equipment if e.kind == "tank")
    lon, lat = tank.footprint.centroid.coords
    tank.footprint = Point(lon + 0.01, lat, srid=4326).buffer(0.0001)  # about 1 km east of its dike
    return tank.code


def _spoil_credit_code(data: park.ParkData) -> str:
    enterprise = data.enterprises[3]
    enterprise.credit_code = enterprise.credit_code[:17] + ("0" if enterprise.credit_code[17] != "0" else "1")
    return enterprise.credit_code


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("spoil", "field"),
    [(_spoil_sensor, "hihi"), (_spoil_unit, "unit"), (_spoil_tank, "footprint"), (_spoil_credit_code, "credit_code")],
    ids=["sensor thresholds", "sensor unit", "tank outside its dike", "credit code"],
)
def test_an_invalid_object_rolls_back_the_whole_load_and_is_named(monkeypatch, spoil, field):
    real_build = park.build
    spoiled = []

    def build_one_bad_object(*args, **kwargs):
        data = real_build(*args, **kwargs)
        spoiled.append(spoil(data))
        return data

    monkeypatch.setattr(park, "build", build_one_bad_object)
    with pytest.raises(CommandError) as caught:
        load_quietly(seed=SEED)
    message = str(caught.value)
    assert "nothing was written" in message
    assert spoiled[0] in message and field in message
    for model in PARK_COUNTS:
        assert model.objects.count() == 0, model.__name__


# --- substances and the larger scales, without the database ----------------------------------------


def test_substances_file_holds_valid_substances_in_si_units():
    rows = json.loads(SUBSTANCES_FILE.read_text(encoding="utf-8"))["substances"]
    table1 = {row["seq"]: row for row in gb18218.table1_rows()}
    names = [row["name_cn"] for row in rows]
    assert len(names) == len(set(names)) == 20
    not_in_table1 = [row for row in rows if row["gb18218_seq"] is None]
    assert {row["name_cn"] for row in not_in_table1} == {"二甲苯", "乙酸"}
    for row in rows:
        substance = Substance(**row)
        substance.full_clean(validate_unique=False)
        assert row["properties_source"], row["name_cn"]
        if row["gb18218_seq"] is not None and table1[row["gb18218_seq"]]["cas"]:
            assert row["cas"] in table1[row["gb18218_seq"]]["cas"], row["name_cn"]
        gb18218.correction_beta(substance.chemical())  # every substance can be graded
        # SI units: kg/mol, K, kg/m³, J/kg — a value in g/mol, °C or kJ/kg would fall outside
        assert row["molar_mass_kg_mol"] is None or 0.001 < row["molar_mass_kg_mol"] < 0.2
        assert row["boiling_point_k"] is None or 15 < row["boiling_point_k"] < 500
        assert row["liquid_density_kg_m3"] is None or 50 < row["liquid_density_kg_m3"] < 2000
        assert row["heat_of_vaporization_j_kg"] is None or 1e5 < row["heat_of_vaporization_j_kg"] < 3e6
        assert row["heat_of_combustion_j_kg"] is None or 1e7 < row["heat_of_combustion_j_kg"] < 2e8
    xylene = next(row for row in rows if row["name_cn"] == "二甲苯")
    assert gb18218.critical_quantity(Substance(**xylene).chemical())[0] == 5000.0  # W5.4


def test_the_nation_scale_places_parks_in_real_provinces_with_valid_codes():
    plans = list(itertools.islice(generated.plans("nation", SEED), 80))
    assert plans[0].chain[-1].code == "310116P01"
    provinces = {plan.chain[1].code for plan in plans}
    assert len(provinces) == 31
    for plan in plans[1:]:
        for region in plan.chain[1:]:
            validate_region_code(region.code, region.level, plan.chain[plan.chain.index(region) - 1].code)
        assert "演示" in plan.chain[-1].name and "演示" in plan.chain[-2].name
        assert all("演示" in company.name for company in plan.spec.companies)
        county, park_region = plan.chain[-2], plan.chain[-1]
        assert county.boundary.covers(park_region.boundary)
        province = next(p for p in generated.regions.PROVINCES if p.code == plan.chain[1].code)
        km = math.dist((plan.spec.lon, plan.spec.lat), (province.lon, province.lat)) * 111
        assert km < 80, (plan.spec.name, km)
    shanghai_parks = [p for p in itertools.islice(generated.plans("province", SEED), 30)][1:]
    assert {p.chain[2].code for p in shanghai_parks} == {"310100"}
