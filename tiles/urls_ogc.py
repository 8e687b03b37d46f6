"""URLs of OGC API – Tiles, included at /ogc/ before the pygeoapi mount of ``layers.urls``.

The root URLs need ``path("ogc/", include("tiles.urls_ogc"))`` placed before ``path("ogc/", include("layers.urls"))``:
these paths then answer, and every other /ogc/ path falls through to pygeoapi.
"""

from django.urls import re_path

from tiles import ogc

app_name = "tiles-ogc"

ID = r"(?P<collection_id>[^/]+)"
TMS = r"(?P<tms_id>[^/]+)"
TILE = r"(?P<tile_matrix>[^/]+)/(?P<tile_row>[^/]+)/(?P<tile_col>[^/]+)"

urlpatterns = [
    re_path(r"^tileMatrixSets/?$", ogc.tile_matrix_sets, name="tile-matrix-sets"),
    re_path(rf"^tileMatrixSets/{TMS}/?$", ogc.tile_matrix_set, name="tile-matrix-set"),
    re_path(rf"^collections/{ID}/tiles/?$", ogc.collection_tilesets, name="collection-tilesets"),
    re_path(rf"^collections/{ID}/tiles/{TMS}/?$", ogc.collection_tileset, name="collection-tileset"),
    re_path(rf"^collections/{ID}/tiles/{TMS}/{TILE}/?$", ogc.collection_tile, name="collection-tile"),
    re_path(r"^tiles/?$", ogc.dataset_tilesets, name="dataset-tilesets"),
    re_path(rf"^tiles/{TMS}/?$", ogc.dataset_tileset, name="dataset-tileset"),
    re_path(rf"^tiles/{TMS}/{TILE}/?$", ogc.dataset_tile, name="dataset-tile"),
]
