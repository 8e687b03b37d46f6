"""Who sees what: API tokens, sessions, 401 for non-public collections, every row narrowed by the user's scope."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from geo.models import Region
from layers.models import ApiToken
from layers.tokens import authenticate, digest, issue, revoke

pytestmark = pytest.mark.django_db


def sensor_tags(client) -> set[str]:
    response = client.get("collections/sensors/items")
    assert response.status_code == 200, response.json()
    return {f["properties"]["tag"] for f in response.json()["features"]}


def test_only_the_digest_of_a_token_is_stored(world):
    token, raw = issue(world["users"]["regulator"], "QGIS")
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.digest == digest(raw) != raw
    assert raw not in {stored.name, stored.prefix, stored.digest}
    assert raw.startswith(stored.prefix) and len(stored.prefix) == 8


def test_a_token_acts_for_its_user_until_revoked(world):
    token, raw = issue(world["users"]["regulator"], "QGIS")
    assert authenticate(raw) == world["users"]["regulator"]
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None
    revoke(token)
    assert authenticate(raw) is None


def test_a_token_of_an_inactive_user_is_refused(world):
    user = world["users"]["regulator"]
    user.is_active = False
    user.save()
    assert authenticate(world["tokens"]["regulator"]) is None


def test_the_token_is_accepted_as_bearer_header_and_as_query_parameter(world, as_user):
    assert sensor_tags(as_user("regulator")) == {"LT-101", "AT-201"}
    anonymous = as_user()
    response = anonymous.get("collections/sensors/items", {"token": world["tokens"]["regulator"]})
    assert {f["properties"]["tag"] for f in response.json()["features"]} == {"LT-101", "AT-201"}


def test_the_token_never_appears_in_links(world, as_user):
    body = as_user().get("collections/sensors/items", {"token": world["tokens"]["regulator"], "limit": 1}).json()
    assert all("token" not in link["href"] for link in body["links"])


def test_a_browser_session_works_too(world):
    client = Client()
    client.force_login(world["users"]["operator"])
    response = client.get("/ogc/collections/sensors/items")
    assert {f["properties"]["tag"] for f in response.json()["features"]} == {"LT-101", "AT-201"}


def test_a_non_public_collection_needs_credentials_and_says_so_with_an_ogc_exception(world, as_user):
    for path in ("collections/sensors", "collections/sensors/items", f"collections/sensors/items/{world['level'].pk}"):
        response = as_user().get(path)
        assert response.status_code == 401, path
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert response.json()["code"] == "Unauthorized"
    assert as_user().get("collections/regions/items").status_code == 200


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Bearer "])
def test_a_wrong_token_is_a_401_not_an_anonymous_request(world, header):
    response = Client().get("/ogc/collections/regions/items", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["code"] in ("InvalidToken", "Unauthorized")


def test_a_revoked_token_is_a_401(world, as_user):
    revoke(ApiToken.objects.get(user=world["users"]["regulator"]))
    assert as_user("regulator").get("collections/sensors/items").status_code == 401


def test_a_regional_user_sees_its_region_and_an_enterprise_user_its_enterprise(world, as_user):
    assert sensor_tags(as_user("root")) == {"LT-101", "AT-201", "LT-901"}
    assert sensor_tags(as_user("regulator")) == {"LT-101", "AT-201"}
    assert sensor_tags(as_user("operator")) == {"LT-101", "AT-201"}
    assert sensor_tags(as_user("outsider")) == {"LT-901"}


def test_an_item_outside_the_scope_is_not_found(world, as_user):
    response = as_user("outsider").get(f"collections/sensors/items/{world['level'].pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "NotFound"


def test_personnel_are_visible_to_their_enterprise_and_emergency_roles_only(world, as_user):
    def holders(who):
        return [f["properties"]["holder"] for f in as_user(who).get("collections/personnel/items").json()["features"]]

    assert holders("operator") == ["张三"]
    assert holders("commander") == ["张三"]
    assert holders("regulator") == []
    assert holders("outsider") == []
    person = world["person"].pk
    assert as_user("regulator").get(f"collections/personnel/items/{person}").status_code == 404
    assert as_user("commander").get(f"collections/personnel/items/{person}").status_code == 200


def test_every_collection_shows_each_commander_exactly_the_rows_of_their_province(every_collection, as_user):
    """Each collection holds rows in both provinces; A's and B's emergency commanders (who see personnel too)
    read exactly their own province's rows, and the public regions whole."""
    from layers.registry import COLLECTIONS

    rows = every_collection["rows"]
    for collection_id in COLLECTIONS:
        seen = {}
        for side, who in (("a", "commander"), ("b", "commander_b")):
            response = as_user(who).get(f"collections/{collection_id}/items", {"limit": 1000})
            assert response.status_code == 200, (collection_id, response.json())
            seen[side] = {f["id"] for f in response.json()["features"]}
        if collection_id == "regions":
            assert seen["a"] == seen["b"] == set(Region.objects.values_list("pk", flat=True))
            continue
        assert rows["a"][collection_id] and rows["b"][collection_id], collection_id
        assert (seen["a"], seen["b"]) == (rows["a"][collection_id], rows["b"][collection_id]), collection_id


def test_create_token_prints_the_token_once_and_stores_its_digest(world):
    out, err = StringIO(), StringIO()
    call_command("create-token", "commander", "--name", "QGIS in the centre", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    assert authenticate(raw) == world["users"]["commander"]
    assert ApiToken.objects.filter(user=world["users"]["commander"], name="QGIS in the centre").count() == 1
    assert "cannot be shown again" in err.getvalue()


def test_create_token_refuses_an_unknown_user(world):
    with pytest.raises(CommandError, match="There is no user “nobody”"):
        call_command("create-token", "nobody", stdout=StringIO(), stderr=StringIO())
