"""Shared set-up of the hierarchy tests: a region chain, a child centre (the county) and its rows."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from acquisition import sm
from acquisition.models import Gateway
from geo.models import Enterprise, Equipment, HazardSource, Region, Substance
from hierarchy.kinds import KINDS, UPSERT, Sender
from tests import factories

COUNTY, OTHER_COUNTY = "310116", "310117"


@dataclass
class Hierarchy:
    regions: dict[str, Region]
    other_county: Region
    child: Sender


@pytest.fixture
def hierarchy(db) -> Hierarchy:
    regions = factories.region_chain()
    other = Region.objects.create(code=OTHER_COUNTY, name="另一区", level="county", parent=regions["city"])
    return Hierarchy(regions, other, Sender(COUNTY, regions["county"]))


@dataclass
class Registry:
    substance: Substance
    enterprise: Enterprise
    source: HazardSource
    tank: Equipment


def registry(region: Region, serial: int = 1) -> Registry:
    substance = Substance.objects.filter(cas="7446-09-5").first() or factories.substance(liquid_density_kg_m3=1434.0)
    enterprise = factories.enterprise(region, serial=serial)
    source = factories.hazard_source(enterprise)
    tank = factories.tank(source, substance, 150_000.0, capacity_m3=100.0, diameter_m=4.0, height_m=8.0)
    source.refresh_from_db()
    return Registry(substance, enterprise, source, tank)


class Numbers:
    """Change numbers as a child's ``Forward`` ids: they only grow."""

    def __init__(self) -> None:
        self.last = 0

    def __call__(self) -> int:
        self.last += 1
        return self.last


@pytest.fixture
def numbers() -> Numbers:
    return Numbers()


def change_of(row, numbers: Numbers, op: str = UPSERT) -> dict:
    """The change a child sends for ``row`` as stored now, through JSON as on the wire."""
    kind = next(k for k in KINDS.values() if isinstance(row, k.model))
    stored = kind.stored(row.pk) if op == UPSERT else row
    change = kind.change(stored, op)
    change["n"] = numbers()
    return json.loads(json.dumps(change, ensure_ascii=False))


def child_gateway(code: str, region: Region, key: sm.PrivateKey, active: bool = True) -> Gateway:
    return Gateway.objects.create(
        code=code,
        name=f"{region.name}中心",
        kind=Gateway.Kind.CENTRE,
        region=region,
        credential=sm.public_key_pem(key.public_key()).decode(),
        active=active,
    )
