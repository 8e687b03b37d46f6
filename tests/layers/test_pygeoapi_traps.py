"""One test per measured shortcoming of pygeoapi 0.21, each fixed in hazmap's layer around it."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import resolve

from layers.registry import COLLECTIONS
from tests.factories import sensor

TILESETS_VECTOR = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"

pytestmark = pytest.mark.django_db


def test_conformance_is_the_same_on_every_call(as_user):
    """pygeoapi extends a module-level list on each /conformance call; ours is computed once."""
    client = as_user("regulator")
    first = client.get("conformance").json()["conformsTo"]
    for _ in range(3):
        assert client.get("conformance").json()["conformsTo"] == first
    assert len(first) == len(set(first))


def test_part_3_filtering_is_declared(as_user):
    """pygeoapi filters but does not say so, and GDAL then filters on the client after reading everything."""
    conforms = set(as_user().get("conformance").json()["conformsTo"])
    assert {
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    } <= conforms
    parameters = as_user("regulator").get("openapi").json()["components"]["parameters"]
    assert "cql-text" in parameters["filter-lang"]["schema"]["enum"]  # what GDAL < 3.7 looks for


def test_the_api_root_without_its_slash_is_the_landing_page():
    """/ogc is a 404 in pygeoapi's Django app; here it answers the landing page itself (QGIS 3.22 follows
    no redirect, and the links are absolute, so clients go on from there)."""
    response = Client().get("/ogc", {"f": "json"})
    assert response.status_code == 200
    assert response.json()["links"] == Client().get("/ogc/", {"f": "json"}).json()["links"]
    assert any(link["rel"] == "service-desc" for link in response.json()["links"])


def test_the_api_document_gives_each_collection_its_limit_maximum(as_user):
    """GDAL ≥ 3.8 sizes its pages from the limit maximum of /collections/{id}/items in the API document."""
    document = as_user("regulator").get("openapi").json()
    items = document["paths"]["/collections/sensors/items"]["get"]["parameters"]
    limit = next(p for p in items if p.get("$ref") == "#/components/parameters/limit")
    assert limit and document["components"]["parameters"]["limit"]["schema"]["maximum"] == 10_000


def test_an_unknown_query_parameter_is_a_400(as_user):
    """pygeoapi ignores unknown parameters (200); OGC API – Features requires a 400."""
    for path in ("collections/sensors/items", "collections/sensors/items/1", "collections", "conformance", ""):
        response = as_user("regulator").get(path, {"ooga": "booga"})
        assert response.status_code == 400, path
        assert "ooga" in response.json()["description"]


def test_a_page_runs_no_count(world, as_user):
    """pygeoapi's providers count the whole result for every page; a page here is one SELECT."""
    for i in range(4):
        sensor(world["e1"], tag=f"PT-{i}", kind="pressure", unit="MPa")
    client = as_user("operator")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("collections/sensors/items", {"limit": 2, "offset": 2})
    assert response.status_code == 200
    on_sensors = [q["sql"] for q in queries.captured_queries if "geo_sensor" in q["sql"]]
    assert len(on_sensors) == 1
    assert "COUNT(" not in on_sensors[0].upper()


def test_post_execution_passes_without_a_csrf_token_when_a_token_signs_it(world):
    """pygeoapi's Django views fail Django's CSRF check on every POST."""
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/ogc/processes/gb18218-grading/execution",
        {"inputs": {"holdings": [{"name": "氯", "table1_seq": 12, "q_t": 5}], "population": 0}},
        content_type="application/json",
        headers={"Authorization": f"Bearer {world['tokens']['regulator']}"},
    )
    assert response.status_code == 200


def test_every_tile_a_client_finds_is_served_by_hazmaps_tiles_app(world, as_user):
    """pygeoapi's MVT-postgresql provider takes seconds to minutes per tile: every tile link of every
    collection, followed as a client does, must reach hazmap's tiles app (one statement per tile)."""
    client = as_user("root")
    base = "http://testserver/ogc/"
    collections = client.get("collections").json()["collections"]
    assert {c["id"] for c in collections} == set(COLLECTIONS)
    for description in collections:
        (href,) = [link["href"] for link in description["links"] if link["rel"] == TILESETS_VECTOR]
        tilesets = client.get(href.removeprefix(base)).json()["tilesets"]
        (self_link,) = [link["href"] for link in tilesets[0]["links"] if link["rel"] == "self"]
        metadata = client.get(self_link.removeprefix(base)).json()
        (template,) = [link["href"] for link in metadata["links"] if link["rel"] == "item"]
        tile_url = template.format(tileMatrix=0, tileRow=0, tileCol=0)
        for url in (href, self_link, tile_url):
            assert resolve(urlsplit(url).path).func.__module__ == "tiles.ogc", url
        tile = client.get(tile_url.removeprefix(base))
        assert tile.status_code in (200, 204), (description["id"], tile.status_code)
        assert tile.status_code == 204 or tile["Content-Type"] == "application/vnd.mapbox-vector-tile"


def test_the_api_document_needs_no_network(as_user):
    """pygeoapi's document refers to schemas.opengis.net; ours holds every schema it uses."""
    document = as_user("regulator").get("openapi").json()

    def refs(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref":
                    yield value
                else:
                    yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    found = set(refs(document))
    assert found and all(ref.startswith("#/components/") for ref in found)
    for ref in found:
        kind, name = ref.split("/")[2:]
        assert name in document["components"][kind], ref


def test_html_pages_use_the_configuration_of_their_own_audience_and_host(world, as_user):
    """pygeoapi keeps one translated configuration per language for every HTML page, whichever API made
    it: after an anonymous page, a signed-in user's page of a non-public collection was a 500."""
    assert as_user().get("collections", {"f": "html"}).status_code == 200  # the anonymous configuration first
    page = as_user("root").get("collections/sensors", {"f": "html"})
    assert page.status_code == 200
    assert "/collections/sensors/items" in page.content.decode()
    other_host = as_user("root").get("", {"f": "html"}, Host="localhost")
    assert "http://localhost/ogc/collections" in other_host.content.decode()


@pytest.mark.parametrize(
    ("header", "query"), [("zh-Hans", {}), ("zh-Hans-CN,zh;q=0.9", {}), ("en", {"lang": "zh-Hans"}), ("zh-Hant-TW", {})]
)
def test_a_language_with_a_script_subtag_is_answered_in_chinese_not_a_500(world, as_user, header, query):
    """pygeoapi matches zh-Hans to zh, then looks up the locale with its script among its translations and fails."""
    client = as_user("regulator")
    answer = client.get(
        f"collections/hazard-sources/items/{world['source'].pk}", {"f": "json", **query}, **{"Accept-Language": header}
    )
    assert answer.status_code == 200, answer.content
    assert answer.headers["Content-Language"] == "zh"
    landing = client.get("", {"f": "html", **query}, **{"Accept-Language": header})
    assert landing.status_code == 200
