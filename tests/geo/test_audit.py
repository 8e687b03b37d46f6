"""The audit log: steps done and refused, placed in their region and enterprise."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from geo import audit
from geo.models import AuditEntry
from tests.factories import enterprise, hazard_source, region_chain


@pytest.fixture
def source(db):
    regions = region_chain()
    return hazard_source(enterprise(regions["park"], 1), "HS01")


def test_a_step_is_recorded_with_its_actor_object_region_and_enterprise(source):
    user = get_user_model().objects.create_user("op", enterprise=source.enterprise, role="enterprise")
    entry = audit.record(user, "registry.apply", source, detail={"from": "draft", "to": "applied"})
    assert (entry.actor_name, entry.action, entry.outcome) == ("op", "registry.apply", "done")
    assert (entry.object_type, entry.object_id) == ("geo.hazardsource", str(source.pk))
    assert (entry.region, entry.enterprise) == (source.enterprise.region, source.enterprise)
    assert entry.detail == {"from": "draft", "to": "applied"}


def test_a_refusal_is_recorded_with_its_reason_and_code(source):
    error = audit.Refused("只有已备案的重大危险源才能申请核销。", code="OutOfOrder")
    entry = audit.record_refusal(None, "registry.cancel_apply", source, error, actor_name="city-centre")
    assert (entry.outcome, entry.reason, entry.detail, entry.actor_name) == (
        "refused",
        "只有已备案的重大危险源才能申请核销。",
        {"code": "OutOfOrder"},
        "city-centre",
    )
    assert AuditEntry.objects.get().actor is None
