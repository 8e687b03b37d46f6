"""The site-plan API (/app/plans): upload, control points and residuals, the COG write, list, change,
delete — for the users whose scope holds the enterprise, with a clear 4xx and nothing kept otherwise."""

from __future__ import annotations

import io
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
import rasterio
from django.conf import settings
from django.test import Client
from django.utils import timezone
from rasterio.errors import NotGeoreferencedWarning

from geo.models import SitePlan
from tests.plant_plans.fixtures import written_plan
from tests.plant_plans.raster_plans import CORNERS_AND_MORE, make_plan
from tests.plant_plans.test_images import pdf_bytes


def png_bytes(width: int = 200, height: int = 100) -> bytes:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.MemoryFile() as memory:
            with memory.open(driver="PNG", width=width, height=height, count=3, dtype="uint8") as dataset:
                dataset.write(np.full((3, height, width), 200, dtype=np.uint8))
            return memory.read()


def upload(client, content: bytes, name: str = "plan.png", **fields):
    file = io.BytesIO(content)
    file.name = name
    return client.post("/app/plans", {"file": file, **fields})


def english(**options) -> Client:
    """A test client asking for English (the source messages the tests assert); Chinese is the default."""
    return Client(HTTP_ACCEPT_LANGUAGE="en", **options)


@pytest.fixture
def client():
    return english()


def signed_in(client, user):
    client.force_login(user)
    return client


def plan_folders() -> list[Path]:
    root = Path(settings.VAR_DIR) / "plans"
    return sorted(p for p in root.glob("*") if p.is_dir()) if root.exists() else []


@pytest.fixture(autouse=True)
def clean_plans_dir():
    """Each test starts with no plan folders (the var dir is shared by the tests of a run)."""
    import shutil

    shutil.rmtree(Path(settings.VAR_DIR) / "plans", ignore_errors=True)
    yield


# --- upload ------------------------------------------------------------------------------------


def test_operator_uploads_a_plan_of_their_enterprise(client, plan_world):
    e1 = plan_world["enterprises"][0]
    response = upload(signed_in(client, plan_world["users"]["operator"]), png_bytes(), name="总图.png", opacity="0.5")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["enterprise"], body["name"], body["format"], body["width"], body["height"]) == (
        e1.pk,
        "总图",
        "png",
        200,
        100,
    )
    assert (body["status"], body["opacity"], body["tilejson"], body["created_by"]) == (
        "uploaded",
        0.5,
        None,
        "operator",
    )
    assert response["Location"].endswith(f"/app/plans/{body['id']}")
    plan = SitePlan.objects.get(pk=body["id"])
    assert plan.path(plan.source_path).read_bytes() == png_bytes()
    assert len(plan_folders()) == 1


def test_upload_of_a_pdf_page(client, plan_world):
    response = upload(signed_in(client, plan_world["users"]["operator"]), pdf_bytes(pages=2), name="plan.pdf", page="2")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["format"], body["page"], body["dpi"]) == ("pdf", 2, 200.0)
    assert (body["width"], body["height"]) == (1653, 2339)  # 595 × 842 pt at 200 dpi


def test_regional_users_name_the_enterprise_and_enterprise_users_only_their_own(client, plan_world):
    _e1, e2, e3 = plan_world["enterprises"]
    regulator = signed_in(english(), plan_world["users"]["regulator"])
    response = upload(regulator, png_bytes())
    assert response.status_code == 400
    assert response.json()["description"] == "Give the enterprise (its id) the plan belongs to."
    assert upload(regulator, png_bytes(), enterprise=str(e2.pk)).status_code == 201
    assert upload(regulator, png_bytes(), enterprise=str(e3.pk)).status_code == 404  # another province
    operator = signed_in(english(), plan_world["users"]["operator"])
    response = upload(operator, png_bytes(), enterprise=str(e2.pk))
    assert response.status_code == 404
    assert response.json()["description"] == f"No enterprise {e2.pk} that you may see."
    assert SitePlan.objects.count() == 1 and len(plan_folders()) == 1


def test_anonymous_token_and_csrf(plan_world):
    assert upload(english(), png_bytes()).status_code == 401
    token = {"HTTP_AUTHORIZATION": f"Bearer {plan_world['token']}"}
    file = io.BytesIO(png_bytes())
    file.name = "plan.png"
    guarded = english(enforce_csrf_checks=True)
    assert guarded.post("/app/plans", {"file": file}, **token).status_code == 201  # a token needs no CSRF token
    guarded.force_login(plan_world["users"]["operator"])
    file.seek(0)
    response = guarded.post("/app/plans", {"file": file})
    assert response.status_code == 403 and "CSRF" in response.json()["description"]
    assert english().get("/app/plans", HTTP_AUTHORIZATION="Bearer nope").status_code == 401


@pytest.mark.parametrize(
    ("content", "name", "fields", "status", "message"),
    [
        (b"GIF89a" + bytes(200), "plan.gif", {}, 400, "The file is not a PNG, JPEG, TIFF or PDF image."),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "plan.png", {}, 400, "The PNG file is corrupt or truncated"),
        (b"", "plan.png", {}, 400, "The file is empty."),
        (pdf_bytes(pages=2), "plan.pdf", {"page": "3"}, 400, "The PDF has 2 pages; page 3 does not exist."),
        (pdf_bytes(), "plan.pdf", {"page": "first"}, 400, "page must be a page number of the PDF, from 1"),
        (png_bytes(), "plan.png", {"opacity": "2"}, 400, "opacity must be a number from 0 to 1."),
        (png_bytes(), "plan.png", {"enterprise": "e1"}, 400, "enterprise must be the id of an enterprise"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_kept(client, plan_world, content, name, fields, status, message):
    response = upload(signed_in(client, plan_world["users"]["operator"]), content, name=name, **fields)
    assert response.status_code == status
    assert message in response.json()["description"]
    assert SitePlan.objects.count() == 0 and plan_folders() == []


def test_missing_file_or_not_multipart(client, plan_world):
    signed_in(client, plan_world["users"]["operator"])
    response = client.post("/app/plans", {"name": "x"})
    assert response.status_code == 400 and "in the field “file”" in response.json()["description"]
    response = client.post("/app/plans", b"{}", content_type="application/json")
    assert response.status_code == 400 and "multipart/form-data" in response.json()["description"]


def test_size_and_pixel_limits(client, plan_world, settings):
    signed_in(client, plan_world["users"]["operator"])
    settings.HAZMAP_PLAN_MAX_MPX = 1
    response = upload(client, png_bytes(1200, 1000))
    assert response.status_code == 413
    assert response.json()["description"] == (
        "The image has 1200 × 1000 pixels (1.2 Mpx); plans may have at most 1 Mpx."
    )
    settings.HAZMAP_PLAN_MAX_MB = 1
    big = b"\x89PNG\r\n\x1a\n" + bytes(3 * 2**20)
    response = upload(client, big)  # refused by its Content-Length, before the body is read
    assert response.status_code == 413
    assert response.json()["description"].startswith("The upload has 3.0 MB; plans may have at most 1 MB.")
    response = upload(client, b"\x89PNG\r\n\x1a\n" + bytes(int(1.5 * 2**20)))  # within the multipart slack
    assert response.status_code == 413
    assert response.json()["description"] == "The file has 1.5 MB; plans may have at most 1 MB."
    assert SitePlan.objects.count() == 0 and plan_folders() == []


# --- control points and residuals ------------------------------------------------------------------


def put_points(client, pk, body):
    return client.put(f"/app/plans/{pk}/control-points", json.dumps(body), content_type="application/json")


def points_of(plan_image, fractions=CORNERS_AND_MORE[:4], crs_convert=None):
    points = []
    for p in plan_image.control_points(fractions):
        x, y = (p.x, p.y) if crs_convert is None else map(float, crs_convert(p.x, p.y))
        points.append({"col": p.col, "row": p.row, "x": x, "y": y})
    return points


def test_control_points_give_the_residual_report_before_writing(client, uploaded):
    from plant_plans import coords

    pk, plan_image = uploaded
    body = {"crs": "GCJ02", "transform": "affine", "points": points_of(plan_image, crs_convert=coords.wgs84_to_gcj02)}
    response = put_points(client, pk, body)
    assert response.status_code == 200, response.json()
    report = response.json()["report"]
    assert report["transform"] == "affine" and report["crs"] == "GCJ02" and report["redundancy"] == 1
    assert len(report["points"]) == 4 and report["rms_m"] < 1e-3 and report["rms_px"] < 1e-3
    assert report["pixel_size_m"] == pytest.approx(2.0, rel=1e-6)
    plan = client.get(f"/app/plans/{pk}").json()
    assert plan["status"] == "fitted" and plan["control_points"]["crs"] == "GCJ02"
    assert len(plan["residuals"]["points"]) == 4
    again = client.get(f"/app/plans/{pk}/control-points").json()
    assert again["report"] == report


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"crs": "EPSG:999999"}, 400, "There is no CRS EPSG:999999."),
        ({"crs": "WGS-84"}, 400, "“WGS-84” is not a CRS code"),
        ({"crs": True}, 400, "crs must be a CRS code"),
        ({"transform": "cubic"}, 422, "transform must be affine or poly2, not “cubic”."),
        ({"transform": "poly2"}, 422, "The poly2 transform needs at least 6 control points; 4 given."),
        ({"points": "many"}, 400, "points must be a list of {col, row, x, y}."),
        ({"points": []}, 400, "points must be a list of {col, row, x, y}."),
        ({"points": [{"col": 1, "row": 2, "x": 3}]}, 400, "Control point 1 must be {col, row, x, y} and nothing else."),
        ({"points": [{"col": True, "row": 2, "x": 3, "y": 4}]}, 400, "col of control point 1 must be a finite number."),
        ({"points": [{"col": "1", "row": 2, "x": 3, "y": 4}]}, 400, "col of control point 1 must be a finite number."),
        ({"extra": 1}, 400, "Unknown field “extra”"),
    ],
)
def test_bad_control_points_are_refused_and_nothing_is_stored(client, uploaded, change, status, message):
    pk, plan_image = uploaded
    body = {"crs": "EPSG:4326", "transform": "affine", "points": points_of(plan_image), **change}
    response = put_points(client, pk, body)
    assert response.status_code == status
    assert message in response.json()["description"]
    plan = SitePlan.objects.get(pk=pk)
    assert (plan.status, plan.control_points, plan.residuals) == ("uploaded", [], [])


def test_collinear_duplicate_and_outside_points(client, uploaded):
    pk, plan_image = uploaded
    line = [
        {"col": 100.0 * i + 10, "row": 50.0 * i + 10, "x": 121.33 + 0.001 * i, "y": 30.81 + 0.0007 * (i % 2)}
        for i in range(4)
    ]
    response = put_points(client, pk, {"points": line})
    assert response.status_code == 422
    assert (
        response.json()["description"]
        == "The control points lie (nearly) on one line in the image: spread them over the plan."
    )
    points = points_of(plan_image)
    response = put_points(client, pk, {"points": [*points, dict(points[0], x=points[0]["x"] + 0.001)]})
    assert response.status_code == 422
    assert response.json()["description"] == "Control points 1 and 5 are at the same pixel: remove one."
    response = put_points(client, pk, {"points": [*points[:3], dict(points[3], col=5000.0)]})
    assert response.status_code == 422 and "lies outside the 1000 × 700 image" in response.json()["description"]
    response = client.put(f"/app/plans/{pk}/control-points", b"{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["description"] == "The body must be a JSON object."
    assert SitePlan.objects.get(pk=pk).control_points == []


def test_refusals_speak_chinese_when_asked(client, uploaded):
    pk, plan_image = uploaded
    response = client.put(
        f"/app/plans/{pk}/control-points",
        json.dumps({"points": points_of(plan_image)[:2]}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 422
    assert response.json()["description"] == "affine 变换至少需要 3 个控制点，给出了 2 个。"


# --- the COG ---------------------------------------------------------------------------------------


def test_write_waits_and_the_plan_is_ready_with_its_tiles(client, uploaded):
    pk, plan_image = uploaded
    assert client.post(f"/app/plans/{pk}/cog").status_code == 409  # no control points yet
    assert put_points(client, pk, {"points": points_of(plan_image)}).status_code == 200
    response = client.post(f"/app/plans/{pk}/cog", json.dumps({"wait": True}), content_type="application/json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ready" and body["message"] == "" and body["written_at"]
    assert body["tilejson"].endswith(f"/tiles/plans/{pk}.json")
    assert body["bounds"]["type"] == "Polygon" and body["minzoom"] < body["maxzoom"] == 17
    plan = SitePlan.objects.get(pk=pk)
    with rasterio.open(plan.path(plan.cog_path)) as cog:
        assert cog.crs.to_epsg() == 3857 and cog.count == 4
    tilejson = client.get(body["tilejson"]).json()
    assert tilejson["tiles"][0].split("?")[0].endswith(f"/tiles/plans/{pk}/{{z}}/{{x}}/{{y}}.png")


def test_a_second_write_while_one_is_under_way_is_refused(client, uploaded):
    pk, plan_image = uploaded
    put_points(client, pk, {"points": points_of(plan_image)})
    SitePlan.objects.filter(pk=pk).update(status="writing", write_started_at=timezone.now())
    response = client.post(f"/app/plans/{pk}/cog")
    assert (
        response.status_code == 409
        and response.json()["description"] == "The plan is being written already; wait for it."
    )
    assert client.delete(f"/app/plans/{pk}").status_code == 409


def test_write_body_must_be_wait_only(client, uploaded):
    pk, plan_image = uploaded
    put_points(client, pk, {"points": points_of(plan_image)})
    response = client.post(f"/app/plans/{pk}/cog", json.dumps({"wait": "yes"}), content_type="application/json")
    assert response.status_code == 400


def test_a_failed_write_says_why_and_keeps_nothing_half_written(client, uploaded):
    pk, plan_image = uploaded
    put_points(client, pk, {"points": points_of(plan_image)})
    plan = SitePlan.objects.get(pk=pk)
    plan.path(plan.source_path).write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(50))  # the image broke on disk
    response = client.post(f"/app/plans/{pk}/cog", json.dumps({"wait": True}), content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert body["status"] == "failed" and "corrupt or truncated" in body["message"] and body["tilejson"] is None
    assert sorted(p.name for p in plan.directory.iterdir()) == ["upload"]


@pytest.mark.django_db(transaction=True)
def test_write_in_the_background_reports_its_status(plan_world, tmp_path):
    client = signed_in(english(), plan_world["users"]["operator"])
    plan_image = make_plan(tmp_path)
    pk = upload(client, plan_image.path.read_bytes()).json()["id"]
    put_points(client, pk, {"points": points_of(plan_image)})
    response = client.post(f"/app/plans/{pk}/cog")
    assert response.status_code == 202 and response.json()["status"] == "writing"
    deadline = time.monotonic() + 60
    while (status := client.get(f"/app/plans/{pk}").json()["status"]) == "writing" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert status == "ready"


# --- list, change, delete, scope ---------------------------------------------------------------------


def test_list_and_scope(client, plan_world, tmp_path):
    e1, e2, e3 = plan_world["enterprises"]
    mine, _ = written_plan(tmp_path / "a", e1)
    theirs, _ = written_plan(tmp_path / "b", e2)
    far, _ = written_plan(tmp_path / "c", e3)
    listed = {
        name: sorted(p["id"] for p in signed_in(english(), user).get("/app/plans").json()["plans"])
        for name, user in plan_world["users"].items()
    }
    assert listed == {
        "admin": sorted([mine.pk, theirs.pk, far.pk]),
        "regulator": sorted([mine.pk, theirs.pk]),
        "operator": [mine.pk],
        "operator2": [theirs.pk],
        "elsewhere": [far.pk],
    }
    operator = signed_in(client, plan_world["users"]["operator"])
    assert operator.get(f"/app/plans/{theirs.pk}").status_code == 404
    assert operator.delete(f"/app/plans/{theirs.pk}").status_code == 404
    assert put_points(operator, theirs.pk, {"points": []}).status_code == 404
    regulator = signed_in(english(), plan_world["users"]["regulator"])
    assert [p["id"] for p in regulator.get(f"/app/plans?enterprise={e2.pk}").json()["plans"]] == [theirs.pk]


def test_the_plan_image_is_served_reduced_for_placing_points_and_only_to_its_viewers(
    client, uploaded, plan_world, monkeypatch
):
    from geo import plans as site_plans

    pk, plan_image = uploaded
    monkeypatch.setattr(site_plans, "PREVIEW_SIDE", 500)
    plan = client.get(f"/app/plans/{pk}").json()
    response = client.get(plan["image"])
    assert plan["image"] == f"/app/plans/{pk}/image.png"
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, max-age=86400"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.MemoryFile(response.content) as memory, memory.open() as preview:
            assert (preview.width, preview.height, preview.count) == (500, 350, 4)  # 1000 × 700 halved
            pixels = preview.read()
    col, row = (int(v / 2) for v in plan_image.dots[0])  # a black dot of the plan, at half its pixel
    assert pixels[:3, row, col].tolist() == [0, 0, 0] and pixels[:3, 2, 2].tolist() == [255, 255, 255]
    assert signed_in(english(), plan_world["users"]["operator2"]).get(plan["image"]).status_code == 404
    assert english().get(plan["image"]).status_code == 401
    assert client.post(plan["image"]).status_code == 405


def test_change_name_and_opacity(client, plan_world, tmp_path):
    plan, _ = written_plan(tmp_path, plan_world["enterprises"][0])
    signed_in(client, plan_world["users"]["operator"])
    patch = lambda body: client.patch(f"/app/plans/{plan.pk}", json.dumps(body), content_type="application/json")  # noqa: E731
    response = patch({"name": "新总图", "opacity": 0.3})
    assert response.status_code == 200 and (response.json()["name"], response.json()["opacity"]) == ("新总图", 0.3)
    assert patch({"opacity": 1.5}).status_code == 400
    assert patch({"status": "ready"}).status_code == 400
    assert patch({"name": ""}).status_code == 400
    assert client.put(f"/app/plans/{plan.pk}").status_code == 405


def test_delete_removes_the_plan_and_its_files(client, plan_world, tmp_path, django_capture_on_commit_callbacks):
    plan, _ = written_plan(tmp_path, plan_world["enterprises"][0])
    assert plan.directory.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(client, plan_world["users"]["operator"]).delete(f"/app/plans/{plan.pk}")
    assert response.status_code == 204
    assert not SitePlan.objects.exists() and not plan.directory.exists()


def test_the_admin_shows_a_plan_and_deletes_it_with_its_files(plan_world, tmp_path, django_capture_on_commit_callbacks):
    from django.urls import reverse

    plan, _ = written_plan(tmp_path, plan_world["enterprises"][0])
    admin = signed_in(english(), plan_world["users"]["admin"])
    page = admin.get(reverse("admin:geo_siteplan_change", args=[plan.pk]))
    assert page.status_code == 200 and "总平面布置图" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(reverse("admin:geo_siteplan_delete", args=[plan.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not SitePlan.objects.exists() and not plan.directory.exists()
