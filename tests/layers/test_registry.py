"""Every feature kind has one registry entry whose attributes resolve in one query on both backends."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.gis.db.models import GeometryField

from geo.models import Event, Position, Quality, SitePlan
from layers.registry import COLLECTIONS, collection
from tests.factories import enterprise, hazard_source, region_chain, sensor, substance, tank

pytestmark = pytest.mark.django_db

# Models with a geometry that are served otherwise: positions as the personnel's live location, events by the
# stream, scenarios through their consequence zones, site plans as raster tiles.
NOT_COLLECTIONS = {Position, Event, apps.get_model("geo", "Scenario"), SitePlan}


def test_every_spatial_feature_model_has_a_collection():
    models = {c.model for c in COLLECTIONS.values()}
    for model in apps.get_app_config("geo").get_models():
        spatial = any(isinstance(f, GeometryField) for f in model._meta.get_fields())
        if spatial and model not in NOT_COLLECTIONS:
            assert model in models, model


@pytest.mark.parametrize("collection_id", sorted(COLLECTIONS))
def test_the_public_attributes_of_every_collection_resolve_in_one_query(
    collection_id, every_collection, django_assert_num_queries
):
    """Rows of both provinces (two at least): a relation followed row by row would cost a query per row."""
    entry = collection(collection_id)
    assert set(entry.tile_fields) <= set(entry.fields)
    assert set(entry.live_fields) <= set(entry.fields)
    with django_assert_num_queries(1):
        rows = list(entry.values(entry.model.objects.all()))
    assert len(rows) == entry.model.objects.count() >= 2
    assert all(set(row) == {"pk", entry.geometry_field, *entry.fields} for row in rows)


def test_a_sensor_row_carries_its_live_attributes_and_names():
    ent = enterprise(region_chain()["park"])
    s = sensor(ent, tag="LT-1", kind="level", unit="%", hi=80.0)
    s.value, s.quality = 42.5, Quality.GOOD
    s.save(update_fields=["value", "quality"])
    row = collection("sensors").values(collection("sensors").model.objects.all()).get()
    assert (row["pk"], row["tag"], row["value"], row["quality"], row["enterprise_id"], row["hi"]) == (
        s.pk,
        "LT-1",
        42.5,
        0,
        ent.pk,
        80.0,
    )


def test_an_equipment_row_names_its_substance():
    source = hazard_source(enterprise(region_chain()["park"]))
    tank(source, substance(), 1000.0)
    row = collection("equipment").values(collection("equipment").model.objects.all()).get()
    assert (row["substance_name"], row["substance_cas"], row["design_max_kg"]) == ("二氧化硫", "7446-09-5", 1000.0)


def test_public_collections_are_read_whole_and_others_by_scope():
    from django.contrib.auth.models import AnonymousUser

    region_chain()
    assert collection("regions").queryset(AnonymousUser()).count() == 5
    assert collection("enterprises").queryset(AnonymousUser()).count() == 0
