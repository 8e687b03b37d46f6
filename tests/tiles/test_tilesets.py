"""Every collection of the registry is a tileset and a layer of the map, with attributes tiles can carry."""

from __future__ import annotations

import pytest

from layers.registry import COLLECTIONS
from tiles.tilesets import MAP, MAP_LAYERS, TILESETS, attribute_type


def test_every_collection_is_a_tileset_and_a_layer_of_the_map():
    assert set(TILESETS) == {*COLLECTIONS, MAP}
    assert sorted(MAP_LAYERS) == sorted(COLLECTIONS)


@pytest.mark.parametrize("collection_id", sorted(COLLECTIONS))
def test_tile_attributes_have_a_type_and_leave_the_feature_id_and_geometry_names_free(collection_id):
    entry = COLLECTIONS[collection_id]
    assert not {"id", "geom"} & set(entry.tile_fields)  # the names the tile statement gives id and geometry
    for name in entry.tile_fields:
        assert attribute_type(entry, name) in {"string", "number", "integer", "boolean"}


def test_live_tilesets_are_those_with_live_attributes_or_features_that_come_and_go():
    live = {name for name, tileset in TILESETS.items() if tileset.live}
    assert live == {"equipment", "sensors", "alarms", "personnel", "consequence-zones", MAP}
