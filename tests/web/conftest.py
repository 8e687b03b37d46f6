"""Fixtures of the site-plan HTTP tests (shared with tests/tiles)."""

import pytest

from tests.plant_plans.fixtures import plan_world  # noqa: F401
from tests.plant_plans.raster_plans import make_plan
from tests.web.test_plans import signed_in, upload


@pytest.fixture
def uploaded(client, plan_world, tmp_path):  # noqa: F811 (the fixture above)
    """A dotted 1000 × 700 plan (2 m pixels) uploaded by the operator through the module's ``client``, and its
    truth."""
    plan_image = make_plan(tmp_path)
    response = upload(signed_in(client, plan_world["users"]["operator"]), plan_image.path.read_bytes())
    assert response.status_code == 201
    return response.json()["id"], plan_image
