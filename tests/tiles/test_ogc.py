"""OGC API – Tiles for the collections and the dataset: tiling scheme, tilesets, metadata and tiles.

The root URLs of this test include ``tiles.urls_ogc`` at /ogc/ before the pygeoapi mount, as the
project's root URLs do.
"""

from __future__ import annotations

import pytest

from tests.factories import LAT, LON
from tests.tiles.conftest import body, read_tile, tile_of

pytestmark = pytest.mark.django_db

Z, X, Y = tile_of(LON, LAT, 16)
TILES_REL = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"


def links(document: dict) -> dict[str, dict]:
    return {link["rel"]: link for link in document["links"]}


def test_the_tile_matrix_sets_list_webmercatorquad_and_describe_it(client):
    listed = client.get("/ogc/tileMatrixSets").json()["tileMatrixSets"]
    assert [(t["id"], t["uri"]) for t in listed] == [
        ("WebMercatorQuad", "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad")
    ]
    described = client.get(listed[0]["links"][0]["href"]).json()
    assert described["id"] == "WebMercatorQuad"
    assert len(described["tileMatrices"]) == 25


def test_a_collection_lists_its_tileset_and_the_tileset_links_its_tiles(world, as_user):
    client = as_user(world["users"]["admin"])
    tilesets = client.get("/ogc/collections/sensors/tiles").json()["tilesets"]
    assert [(t["dataType"], t["crs"]) for t in tilesets] == [("vector", "http://www.opengis.net/def/crs/EPSG/0/3857")]
    metadata = client.get(links(tilesets[0])["self"]["href"]).json()
    assert metadata["tileMatrixSetURI"] == "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
    assert links(metadata)[TILES_REL]["href"] == "http://testserver/ogc/tileMatrixSets/WebMercatorQuad"
    item = links(metadata)["item"]
    assert item["templated"] is True
    assert item["type"] == "application/vnd.mapbox-vector-tile"
    assert item["href"] == (
        "http://testserver/ogc/collections/sensors/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}"
    )
    assert metadata["layers"][0]["id"] == "sensors"
    assert metadata["layers"][0]["geometryDimension"] == 0
    assert metadata["layers"][0]["propertiesSchema"]["properties"]["value"] == {"type": "number"}


def test_an_ogc_tile_is_the_same_tile_as_the_xyz_one(world, as_user, tile_dir):
    client = as_user(world["users"]["admin"])
    ogc = client.get(f"/ogc/collections/sensors/tiles/WebMercatorQuad/{Z}/{Y}/{X}")  # row (y) before column (x)
    xyz = client.get(f"/tiles/sensors/{Z}/{X}/{Y}.mvt")
    assert ogc.status_code == 200
    assert body(ogc) == body(xyz)
    assert set(read_tile(body(ogc), Z, X, Y, tile_dir)["sensors"]) == {s.pk for s in world["sensors"][:2]}


def test_the_dataset_tiles_are_the_map(world, as_user):
    client = as_user(world["users"]["admin"])
    metadata = client.get("/ogc/tiles/WebMercatorQuad").json()
    assert [layer["id"] for layer in metadata["layers"]][-3:] == ["sensors", "personnel", "alarms"]
    ogc = client.get(f"/ogc/tiles/WebMercatorQuad/{Z}/{Y}/{X}?f=mvt")
    assert body(ogc) == body(client.get(f"/tiles/map/{Z}/{X}/{Y}.mvt"))


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/ogc/collections/nowhere/tiles", 404, "NotFound"),
        ("/ogc/collections/map/tiles", 404, "NotFound"),
        ("/ogc/collections/sensors/tiles/WorldCRS84Quad", 404, "NotFound"),
        ("/ogc/tileMatrixSets/WorldCRS84Quad", 404, "NotFound"),
        ("/ogc/collections/sensors/tiles/WebMercatorQuad/16/x/0", 400, "InvalidParameterValue"),
        ("/ogc/collections/sensors/tiles/WebMercatorQuad/30/0/0", 404, "NotFound"),
        ("/ogc/collections/sensors/tiles/WebMercatorQuad/2/4/0", 404, "NotFound"),
        ("/ogc/collections/sensors/tiles/WebMercatorQuad?f=html", 400, "InvalidParameterValue"),
        ("/ogc/collections/sensors/tiles/WebMercatorQuad/16/0/0?f=png", 400, "InvalidParameterValue"),
    ],
)
def test_a_bad_ogc_request_gets_an_ogc_exception(world, as_user, path, status, code):
    response = as_user(world["users"]["admin"]).get(path)
    assert (response.status_code, response.json()["code"]) == (status, code)


def test_the_tile_row_out_of_range_is_named_in_the_message(world, as_user):
    response = as_user(world["users"]["admin"]).get("/ogc/collections/sensors/tiles/WebMercatorQuad/2/4/0")
    assert "tileRow 4" in response.json()["description"]


def test_tilesets_of_a_collection_that_is_not_public_need_a_signed_in_user(world, as_user):
    client = as_user(None)
    assert client.get("/ogc/collections/sensors/tiles").status_code == 401
    assert client.get("/ogc/collections/sensors/tiles/WebMercatorQuad").status_code == 401
    assert client.get(f"/ogc/collections/sensors/tiles/WebMercatorQuad/{Z}/{Y}/{X}").status_code == 401
    assert client.get("/ogc/collections/regions/tiles").status_code == 200


# --- discovery: how a client finds the tiles from the OGC API ----------------------------------------

TILESETS_VECTOR = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
TILING_SCHEMES = "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"
TILES_CONFORMANCE = {  # OGC 20-057, Annex A: the conformance classes these paths implement
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/dataset-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
}


def test_the_conformance_declares_ogc_api_tiles(client):
    assert TILES_CONFORMANCE <= set(client.get("/ogc/conformance").json()["conformsTo"])


@pytest.mark.parametrize("who", [None, "admin"])
def test_the_landing_page_links_the_tiling_schemes_and_the_datasets_tilesets(world, as_user, who):
    client = as_user(world["users"][who] if who else None)
    found = links(client.get("/ogc/", {"f": "json"}).json())
    assert found[TILING_SCHEMES]["href"] == "http://testserver/ogc/tileMatrixSets"
    assert found[TILESETS_VECTOR]["href"] == "http://testserver/ogc/tiles"
    schemes = client.get(found[TILING_SCHEMES]["href"]).json()["tileMatrixSets"]
    assert [scheme["id"] for scheme in schemes] == ["WebMercatorQuad"]
    assert client.get(found[TILESETS_VECTOR]["href"]).json()["tilesets"][0]["dataType"] == "vector"


def test_each_collection_links_its_vector_tilesets(world, as_user):
    from layers.registry import COLLECTIONS

    client = as_user(world["users"]["admin"])
    listed = client.get("/ogc/collections", {"f": "json"}).json()["collections"]
    assert {c["id"] for c in listed} == set(COLLECTIONS)
    for description in listed:
        href = links(description)[TILESETS_VECTOR]["href"]
        assert href == f"http://testserver/ogc/collections/{description['id']}/tiles"
        assert (
            links(client.get(f"/ogc/collections/{description['id']}", {"f": "json"}).json())[TILESETS_VECTOR]
            == (links(description)[TILESETS_VECTOR])
        )
        tilesets = client.get(href).json()["tilesets"]
        assert [t["tileMatrixSetURI"] for t in tilesets] == [
            "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
        ]


def test_following_the_links_from_the_collection_reaches_the_same_tile_as_xyz(world, as_user, tile_dir):
    client = as_user(world["users"]["admin"])
    tilesets = client.get(links(client.get("/ogc/collections/sensors").json())[TILESETS_VECTOR]["href"]).json()
    metadata = client.get(links(tilesets["tilesets"][0])["self"]["href"]).json()
    template = links(metadata)["item"]["href"]
    tile = client.get(template.format(tileMatrix=Z, tileRow=Y, tileCol=X))
    assert tile.status_code == 200
    assert body(tile) == body(client.get(f"/tiles/sensors/{Z}/{X}/{Y}.mvt"))


def test_the_api_document_describes_the_tile_paths(world, as_user):
    document = as_user(world["users"]["admin"]).get("/ogc/openapi").json()
    paths = document["paths"]
    for path in (
        "/tileMatrixSets",
        "/tileMatrixSets/{tileMatrixSetId}",
        "/tiles",
        "/tiles/{tileMatrixSetId}",
        "/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
        "/collections/sensors/tiles",
        "/collections/sensors/tiles/{tileMatrixSetId}",
        "/collections/sensors/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
    ):
        assert "get" in paths[path], path
    tile = paths["/collections/sensors/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}"]["get"]
    assert set(tile["responses"]) == {"200", "204", "400", "401", "404"}
    tile_response = document["components"]["responses"]["Tile"]
    assert list(tile_response["content"]) == ["application/vnd.mapbox-vector-tile"]
    matrices = document["components"]["parameters"]["tileMatrix"]["schema"]["enum"]
    assert (matrices[0], matrices[-1]) == ("0", "24")
    assert (
        "401"
        not in paths["/collections/regions/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}"]["get"][
            "responses"
        ]
    )  # public: the same tiles for everyone
