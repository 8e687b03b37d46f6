"""Every feature refuses bad data at the model level, whatever writes it, and keeps nothing half-written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation

from geo.models import Alarm, Enterprise, Equipment, HazardSource, Reading, Region, Sensor, Substance
from tests.factories import (
    LAT,
    LON,
    enterprise,
    hazard_source,
    multi,
    region_chain,
    sensor,
    square,
    substance,
    tank,
)

pytestmark = pytest.mark.django_db


def refused(call, *args, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as caught, translation.override("en"):
        call(*args, **kwargs)
    return caught.value


def test_region_path_chains_codes_from_the_root_and_finds_descendants():
    chain = region_chain()
    assert chain["park"].path == "100000/310000/310100/310116/310116P01/"
    assert set(chain["city"].descendants().values_list("code", flat=True)) == {
        "310100",
        "310116",
        "310116P01",
    }


def test_a_region_with_regions_below_it_cannot_be_recoded():
    county = region_chain()["county"]
    county.code = "310117"
    error = refused(county.save)
    assert error.messages == ["Recode or move the regions below 上海区 first: their codes and paths derive from it."]
    county.refresh_from_db()
    assert county.code == "310116"


def test_a_region_without_children_moves_with_its_path():
    chain = region_chain()
    other = Region.objects.create(code="310117", name="另一区", level="county", parent=chain["city"])
    park = chain["park"]
    park.code, park.parent = "310117P01", other
    park.save()
    assert Region.objects.get(pk=park.pk).path == "100000/310000/310100/310117/310117P01/"


def test_a_city_under_a_national_region_is_refused():
    national = Region.objects.create(code="100000", name="中华人民共和国", level="national")
    error = refused(Region.objects.create, code="310100", name="市", level="city", parent=national)
    assert error.message_dict == {"parent": ["A region of level “city” must have a parent of level “province”."]}
    assert not Region.objects.filter(code="310100").exists()


def test_an_enterprise_must_belong_to_a_county_or_park():
    chain = region_chain()
    error = refused(enterprise, chain["city"])
    assert error.message_dict["region"] == ["An enterprise belongs to a county or a chemical park."]
    assert Enterprise.objects.count() == 0


def test_a_unit_outside_its_enterprise_site_is_refused():
    ent = enterprise(region_chain()["park"])
    far = multi(square(LON + 0.05, LAT, 50))
    error = refused(
        HazardSource.objects.create,
        enterprise=ent,
        code="HS9",
        name="外部",
        kind="tank_area",
        footprint=far,
        principal_name="甲",
        technical_name="乙",
        operational_name="丙",
    )
    assert error.message_dict["footprint"] == ["The unit boundary must lie within the enterprise's site boundary."]


def test_a_tank_outside_its_dike_is_refused():
    source = hazard_source(enterprise(region_chain()["park"]))
    centre = source.footprint.centroid
    error = refused(tank, source, substance(), 1000.0, footprint=square(centre.x + 0.0008, centre.y, 5))
    assert error.messages == [
        "The equipment must lie within its unit's boundary (the dike of a tank area, the building of a "
        "warehouse, the area of a production site)."
    ]
    assert Equipment.objects.count() == 0


def test_a_process_unit_cannot_stand_in_a_tank_area():
    source = hazard_source(enterprise(region_chain()["park"]))
    error = refused(tank, source, substance(), 1000.0, kind="process_unit", tank_type="")
    assert error.message_dict["kind"] == [
        "Equipment of kind “process unit” cannot be part of a unit of kind “tank area”."
    ]


def test_a_sensor_with_high_alarm_below_low_alarm_is_refused_and_not_stored():
    ent = enterprise(region_chain()["park"])
    error = refused(sensor, ent, lo=20.0, hi=10.0, range_min=0.0, range_max=100.0)
    assert error.message_dict == {"hi": ["high alarm (10.0) must be above low alarm (20.0)."]}
    assert Sensor.objects.count() == 0


def test_a_sensor_in_the_wrong_unit_is_refused():
    ent = enterprise(region_chain()["park"])
    error = refused(sensor, ent, kind="pressure", unit="%")
    assert error.message_dict == {
        "unit": ["“%” is not a unit for a sensor of kind “pressure”; use one of: Pa, kPa, MPa."]
    }


def test_a_toxic_gas_detector_must_name_its_gas():
    ent = enterprise(region_chain()["park"])
    error = refused(sensor, ent, tag="AT-1", kind="toxic_gas", unit="ppm")
    assert error.message_dict == {"substance": ["A toxic gas detector must name its gas."]}


def test_a_live_value_update_validates_only_the_fields_it_writes():
    ent = enterprise(region_chain()["park"])
    s = sensor(ent, lo=10.0, hi=90.0)
    s.value, s.quality = 55.0, 0
    s.save(update_fields=["value", "quality"])
    assert Sensor.objects.get().value == 55.0


def test_a_substance_the_tables_cannot_classify_is_refused_by_name():
    error = refused(Substance.objects.create, name_cn="硫酸", cas="7664-93-9")
    assert error.message_dict["gb18218_categories"] == [
        "“硫酸” cannot be classified under GB 18218-2018: it is not a row of Table 1 and has no hazard "
        "category of Table 2."
    ]
    assert Substance.objects.count() == 0


def test_an_unknown_table2_category_is_refused():
    error = refused(Substance.objects.create, name_cn="某液体", gb18218_categories=["W99"])
    assert list(error.message_dict) == ["gb18218_categories"]
    assert error.message_dict["gb18218_categories"] == ["“某液体”: W99 is not a category of GB 18218-2018 Table 2."]


def test_aegl_values_must_rise():
    error = refused(substance, aegl1_ppm=5.0, aegl2_ppm=2.0)
    assert list(error.message_dict) == ["aegl2_ppm"]


def test_an_alarm_cannot_clear_before_it_started():
    ent = enterprise(region_chain()["park"])
    start = dt.datetime(2026, 11, 1, 8, tzinfo=dt.UTC)
    error = refused(
        Alarm.objects.create,
        enterprise=ent,
        kind="hi",
        started_at=start,
        ended_at=start - dt.timedelta(seconds=1),
    )
    assert error.message_dict == {"ended_at": ["Cannot be before the alarm started."]}


def test_a_failed_save_inside_a_transaction_leaves_nothing_behind():
    chain = region_chain()
    with pytest.raises(ValidationError), transaction.atomic():
        ent = enterprise(chain["park"])
        sensor(ent, lo=20.0, hi=10.0)
    assert Enterprise.objects.count() == 0


def test_a_reading_delivered_twice_is_stored_once():
    s = sensor(enterprise(region_chain()["park"]))
    t = dt.datetime(2026, 11, 22, 1, 2, 3, tzinfo=dt.UTC)
    for _ in range(2):
        Reading.objects.bulk_create([Reading(sensor=s, time=t, value=42.0)], ignore_conflicts=True)
    assert list(Reading.objects.values_list("value", flat=True)) == [42.0]


def test_points_are_stored_in_epsg_4326():
    s = sensor(enterprise(region_chain()["park"]))
    stored = Sensor.objects.get(pk=s.pk).location
    assert (stored.srid, round(stored.x, 6), round(stored.y, 6)) == (4326, LON, LAT)


def test_a_sensor_of_an_enterprise_lies_in_the_enterprises_region():
    chain = region_chain()
    s = sensor(enterprise(chain["park"]))
    assert s.region == chain["park"]
    other = Region.objects.create(code="310116P02", name="另一园区", level="park", parent=chain["county"])
    s.region = other
    assert refused(s.save).message_dict == {"region": ["A row of an enterprise lies in the enterprise's region."]}


def test_a_sensor_of_no_enterprise_needs_its_region():
    error = refused(
        Sensor.objects.create, tag="WS-01-WS", name="风速", kind="wind_speed", unit="m/s", location=Point(LON, LAT)
    )
    assert error.message_dict == {"region": ["Give the region, or the enterprise the row belongs to."]}


def test_a_park_sensor_tag_is_unique_within_the_park():
    park = region_chain()["park"]
    fields = {"name": "风速", "kind": "wind_speed", "unit": "m/s", "location": Point(LON, LAT, srid=4326)}
    Sensor.objects.create(region=park, tag="WS-01-WS", **fields)
    error = refused(Sensor.objects.create, region=park, tag="WS-01-WS", **fields)
    assert error.messages == ["Another sensor of this region, of no enterprise, has this tag number."]


def test_an_alarm_takes_enterprise_and_region_from_its_sensor():
    chain = region_chain()
    s = sensor(enterprise(chain["park"]))
    alarm = Alarm.objects.create(sensor=s, kind="hi", started_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    assert (alarm.enterprise, alarm.region) == (s.enterprise, chain["park"])
