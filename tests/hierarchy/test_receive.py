"""The parent checks every message of a child centre as the centre checks a gateway's, and records each refusal.

Forged (signed by another key), replayed, from an unknown, inactive or agent-kind sender, about rows
outside the child's region: refused with a logged reason, an audit entry (``actor_name`` the child's
code, outcome refused) and nothing applied.
"""

from __future__ import annotations

import json
import logging

import pytest

from acquisition import envelope, sm
from acquisition.centre import Centre
from acquisition.envelope import ACCEPTED, DUPLICATE, REJECTED, Ack, Session
from acquisition.models import Gateway
from geo.models import AuditEntry, Enterprise
from hierarchy.receive import ChildChanges
from tests import factories
from tests.hierarchy.conftest import change_of, child_gateway

EPOCH = bytes.fromhex("1112131415161718")


@pytest.fixture
def parent():
    return Centre(sm.generate_private_key(), max_age_s=600, handler=ChildChanges())


@pytest.fixture
def child_key():
    return sm.generate_private_key()


@pytest.fixture
def county(hierarchy, child_key) -> Gateway:
    return child_gateway("310116", hierarchy.regions["county"], child_key)


def message(parent, changes, signer, code="310116", seq=1) -> bytes:
    payload = envelope.pack_chunks([json.dumps(c).encode() for c in changes])
    return envelope.seal(payload, code, EPOCH, seq, Session.new(parent.public_key), signer)


@pytest.fixture
def enterprise_change(hierarchy, numbers):
    """A new enterprise of the county's park, as the child sends it."""
    enterprise = factories.enterprise(hierarchy.regions["park"])
    change = change_of(enterprise, numbers)
    enterprise.delete()
    return change


def refusals(action: str = "hierarchy.receive") -> list[tuple[str, str, str]]:
    entries = AuditEntry.objects.filter(action=action, outcome="refused").order_by("id")
    return [(e.actor_name, e.detail.get("code", ""), e.reason) for e in entries]


def test_a_childs_signed_message_is_applied_and_acknowledged(parent, county, child_key, enterprise_change):
    receipt = parent.receive(message(parent, [enterprise_change], child_key))
    assert receipt.status == "accepted" and receipt.result.applied == 1
    ack = Ack.unpack(receipt.ack, parent.public_key)
    assert (ack.gateway, ack.seq, ack.status) == ("310116", 1, ACCEPTED)
    assert Enterprise.objects.get().credit_code == enterprise_change["key"]["credit_code"]
    county.refresh_from_db()
    assert county.last_seen_at is not None


def test_a_forged_message_is_refused_logged_recorded_and_applies_nothing(parent, county, enterprise_change, caplog):
    with caplog.at_level(logging.WARNING):
        receipt = parent.receive(message(parent, [enterprise_change], sm.generate_private_key()))
    assert (receipt.status, receipt.ack) == ("bad signature", None)
    assert "hierarchy: message 1 from child centre '310116' refused: digest or SM2 signature does not match" in (
        caplog.text
    )
    assert refusals() == [("310116", "bad signature", "message refused: digest or SM2 signature does not match")]
    assert AuditEntry.objects.get(action="hierarchy.receive").region == county.region
    assert not Enterprise.objects.exists()


def test_a_replayed_message_is_refused_recorded_and_applies_nothing_again(
    parent, county, child_key, enterprise_change, caplog
):
    sent = message(parent, [enterprise_change], child_key)
    parent.receive(sent)
    Enterprise.objects.update(name="在上级改过")
    with caplog.at_level(logging.WARNING):
        receipt = parent.receive(sent)
    assert receipt.status == "duplicate"
    assert Ack.unpack(receipt.ack, parent.public_key).status == DUPLICATE  # the child may forget it
    assert "refused: replayed (already accepted)" in caplog.text
    assert refusals() == [("310116", "duplicate", "message refused: replayed (already accepted)")]
    assert Enterprise.objects.get().name == "在上级改过"


@pytest.mark.parametrize("who", ["unknown", "inactive", "agent"])
def test_a_message_from_an_unknown_inactive_or_agent_sender_is_refused_and_recorded(
    parent, hierarchy, child_key, enterprise_change, who, caplog
):
    if who == "inactive":
        child_gateway("310116", hierarchy.regions["county"], child_key, active=False)
    if who == "agent":  # a gateway's key is no child centre's
        Gateway.objects.create(
            code="310116",
            name="网关",
            region=hierarchy.regions["county"],
            credential=sm.public_key_pem(child_key.public_key()).decode(),
        )
    with caplog.at_level(logging.WARNING):
        receipt = parent.receive(message(parent, [enterprise_change], child_key))
    assert (receipt.status, receipt.ack) == ("unknown gateway", None)
    assert "message 1 from unknown or inactive child centre '310116' refused" in caplog.text
    assert refusals() == [("310116", "unknown gateway", "message refused: unknown or inactive child centre '310116'")]
    assert not Enterprise.objects.exists()


def test_a_gateways_centre_does_not_take_a_child_centres_message(hierarchy, county, child_key, enterprise_change):
    centre = Centre(sm.generate_private_key(), max_age_s=600)  # acquisition's, for edge agents
    assert centre.receive(message(centre, [enterprise_change], child_key)).status == "unknown gateway"


def test_a_message_about_rows_outside_the_childs_region_applies_none_of_them(
    parent, hierarchy, county, child_key, numbers, caplog
):
    elsewhere = factories.enterprise(hierarchy.other_county, serial=5)
    change = change_of(elsewhere, numbers)
    elsewhere.delete()
    with caplog.at_level(logging.WARNING):
        receipt = parent.receive(message(parent, [change], child_key))
    assert receipt.status == "accepted" and receipt.result.applied == 0  # acknowledged: sending it again cannot help
    assert f"upsert of enterprise {change['key']['credit_code']} from child centre '310116' refused" in caplog.text
    ((actor, code, reason),) = refusals("hierarchy.apply")
    assert (actor, code) == ("310116", "OutsideRegion")
    assert (
        "lies in region 100000/310000/310100/310117/, outside child centre 310116's 100000/310000/310100/310116/"
        in (reason)
    )
    assert not Enterprise.objects.exists()


def test_a_signed_message_that_is_no_list_of_changes_is_rejected_and_recorded(parent, county, child_key):
    payload = envelope.pack_chunks([b'{"kind": "enterprise"}'])
    sent = envelope.seal(payload, "310116", EPOCH, 1, Session.new(parent.public_key), child_key)
    receipt = parent.receive(sent)
    assert receipt.status == "rejected" and Ack.unpack(receipt.ack, parent.public_key).status == REJECTED
    assert refusals()[0][:2] == ("310116", "rejected")
