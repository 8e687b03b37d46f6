"""Stored hazard sources are identified and graded under GB 18218-2018 whenever their registry changes."""

from __future__ import annotations

import pytest

from geo.models import HazardSource
from tests.factories import enterprise, hazard_source, region_chain, substance, tank

pytestmark = pytest.mark.django_db


@pytest.fixture
def so2_unit():
    """The worked exam item of the GB 18218 data sources ("exam": 8fe.cn test-question-282515 and
    cquc.net ex_Id=29970): SO₂, Q = 20 t, β = 2, 60 residents within 500 m (α = 1.5), R = 30 → grade 3.
    q = R / (α·β/Q) = 30 / (1.5·2/20) = 200 t."""
    ent = enterprise(region_chain()["park"], population=60)
    source = hazard_source(ent)
    tank(source, substance(), 200_000.0)
    return HazardSource.objects.get(pk=source.pk)


def test_the_exam_item_is_a_third_grade_major_hazard_source(so2_unit):
    assert so2_unit.is_major
    assert so2_unit.gb_s == 10.0
    assert so2_unit.gb_alpha == 1.5
    assert so2_unit.gb_r == 30.0
    assert so2_unit.gb_grade == 3


def test_the_stored_result_explains_every_term(so2_unit):
    term = so2_unit.grading["terms"][0]
    assert so2_unit.grading["standard"] == "GB 18218-2018"
    assert so2_unit.grading["population"] == 60
    assert (term["chemical_name"], term["q_t"], term["critical_t"], term["beta"]) == (
        "二氧化硫",
        200.0,
        20.0,
        2.0,
    )
    assert term["contributions"] == [{"label": "T1 T1 储罐", "q_t": 200.0}]


def test_adding_and_removing_equipment_regrades_the_unit(so2_unit):
    extra = tank(so2_unit, so2_unit.equipment.get().substance, 200_000.0, code="T2")
    so2_unit.refresh_from_db()
    assert (so2_unit.gb_r, so2_unit.gb_grade) == (60.0, 2)
    extra.delete()
    so2_unit.refresh_from_db()
    assert (so2_unit.gb_r, so2_unit.gb_grade) == (30.0, 3)


def test_a_population_change_regrades_the_enterprises_units(so2_unit):
    ent = so2_unit.enterprise
    ent.population_500m = 100  # Table 5: 100 or more → α = 2.0
    ent.save()
    so2_unit.refresh_from_db()
    assert (so2_unit.gb_alpha, so2_unit.gb_r, so2_unit.gb_grade) == (2.0, 40.0, 3)


def test_live_inventory_is_shown_but_never_graded(so2_unit):
    graded_at = so2_unit.graded_at
    item = so2_unit.equipment.get()
    item.inventory_kg = 150_000.0
    item.save(update_fields=["inventory_kg"])
    so2_unit.refresh_from_db()
    assert (so2_unit.graded_at, so2_unit.gb_r) == (graded_at, 30.0)


def test_below_the_critical_quantity_the_unit_is_not_major():
    source = hazard_source(enterprise(region_chain()["park"]))
    tank(source, substance(), 19_000.0)  # 19 t of SO₂ < Q = 20 t
    source.refresh_from_db()
    assert (source.is_major, source.gb_s, source.gb_grade, source.gb_r) == (False, 0.95, None, None)
