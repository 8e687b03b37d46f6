"""``hazmap hierarchy``: register a child centre, print the centre's key, resync, report, and say what is missing."""

from __future__ import annotations

import io
import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError

from acquisition import keys, sm
from acquisition.models import Gateway
from geo.models import Forward
from hierarchy import conf, forward
from tests.hierarchy.conftest import registry


def hazmap_hierarchy(*args: str) -> str:
    out = io.StringIO()
    call_command("hierarchy", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def child_key_file(tmp_path):
    path = tmp_path / "county.pub.pem"
    path.write_bytes(sm.public_key_pem(sm.generate_private_key().public_key()))
    return path


def test_a_child_centre_is_registered_with_its_region_and_key(hierarchy, child_key_file):
    said = hazmap_hierarchy("--add-child", "310116", "--region", "310116", "--key", str(child_key_file))
    assert said == "child centre 310116 answers for 上海区 (310116) (100000/310000/310100/310116/)\n"
    child = Gateway.objects.get(code="310116")
    assert (child.kind, child.region.code, child.active) == ("centre", "310116", True)
    assert "child centre 310116 (310116, active): last heard never, last summary never" in hazmap_hierarchy("--status")


def test_an_edge_agents_code_is_not_taken_for_a_child_centre(hierarchy, child_key_file):
    Gateway.objects.create(
        code="310116", name="网关", region=hierarchy.regions["county"], credential=child_key_file.read_text()
    )
    with pytest.raises(CommandError, match="310116 is an edge agent's code here"):
        hazmap_hierarchy("--add-child", "310116", "--region", "310116", "--key", str(child_key_file))


def test_a_child_centre_with_a_bad_key_or_region_is_refused_with_the_reason(hierarchy, tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("not a key")
    with pytest.raises(CommandError, match=re.escape("give an X.509 certificate or a public key in PEM")):
        hazmap_hierarchy("--add-child", "310116", "--region", "310116", "--key", str(bad))
    with pytest.raises(CommandError, match="no region 999999 here"):
        hazmap_hierarchy("--add-child", "310116", "--region", "999999", "--key", str(bad))


def test_the_centres_public_key_is_printed_for_the_parent(db, monkeypatch, tmp_path):
    monkeypatch.setenv("HAZMAP_CENTRE_KEY", str(tmp_path / "centre.pem"))
    printed = hazmap_hierarchy("--public-key")
    assert printed == sm.public_key_pem(keys.centre_key().public_key()).decode()


def test_a_resync_queues_the_region_and_reports_it(hierarchy, monkeypatch, tmp_path, child_key_file):
    registry(hierarchy.regions["park"])
    monkeypatch.setenv("HAZMAP_PARENT_KEY", str(child_key_file))
    monkeypatch.setenv("HAZMAP_CENTRE_REGION", "310116")
    monkeypatch.setenv("HAZMAP_PARENT_BROKER", "mqtt://127.0.0.1:1883")
    forward._paths.clear()
    said = hazmap_hierarchy("--resync")
    assert said == (
        "queued for the parent: 1 substance, 1 enterprise, 1 hazard_source, 1 equipment, 0 alarm, 0 audit, 1 summary\n"
    )
    assert Forward.objects.count() == 5  # the summary made now with the rows
    assert "changes waiting for the parent: 5, the oldest of" in hazmap_hierarchy("--status")


def test_without_settings_there_is_nothing_to_run_and_the_command_says_what_to_set(db, monkeypatch):
    for name in ("HAZMAP_BROKER", "HAZMAP_PARENT_KEY", "HAZMAP_CENTRE_REGION"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(CommandError, match="set HAZMAP_BROKER and HAZMAP_CENTRE_REGION to listen"):
        hazmap_hierarchy()
    with pytest.raises(CommandError, match="this centre has no parent"):
        hazmap_hierarchy("--resync")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"HAZMAP_PARENT_KEY": "/nonexistent.pem"}, "HAZMAP_PARENT_KEY=/nonexistent.pem: No such file or directory"),
        ({"HAZMAP_PARENT_KEY": "KEY"}, "set HAZMAP_CENTRE_REGION"),
        ({"HAZMAP_PARENT_KEY": "KEY", "HAZMAP_CENTRE_REGION": "310116"}, "set HAZMAP_PARENT_BROKER"),
        (
            {"HAZMAP_PARENT_KEY": "KEY", "HAZMAP_CENTRE_REGION": "310116", "HAZMAP_PARENT_BROKER": "http://x"},
            "is not mqtt://host:port",
        ),
        ({"HAZMAP_CENTRE_CODE": "a/b"}, "must be 1 to 255 bytes without / + #"),
    ],
)
def test_an_incomplete_parent_is_refused_naming_the_setting(monkeypatch, child_key_file, env, message):
    for name in ("HAZMAP_BROKER", "HAZMAP_PARENT_BROKER", "HAZMAP_CENTRE_REGION", "HAZMAP_CENTRE_CODE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, str(child_key_file) if value == "KEY" else value)
    with pytest.raises(ImproperlyConfigured, match=re.escape(message)):
        conf.centre_code()
        conf.parent()
