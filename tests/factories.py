"""Small, valid features for tests: a region chain, an enterprise, a unit with equipment.

Geometries are squares around a point near the demo park, sized in metres.
"""

from __future__ import annotations

import math

from django.contrib.gis.geos import MultiPolygon, Point, Polygon

from geo.models import Enterprise, Equipment, HazardSource, Region, Sensor, Substance
from geo.validators import credit_code_check_char

LON, LAT = 121.33, 30.81


def square(lon: float, lat: float, half_m: float) -> Polygon:
    """A square of side 2·half_m metres centred on (lon, lat), in EPSG:4326."""
    dlat = half_m / 111_320.0
    dlon = half_m / (111_320.0 * math.cos(math.radians(lat)))
    ring = [
        (lon - dlon, lat - dlat),
        (lon + dlon, lat - dlat),
        (lon + dlon, lat + dlat),
        (lon - dlon, lat + dlat),
        (lon - dlon, lat - dlat),
    ]
    return Polygon(ring, srid=4326)


def multi(polygon: Polygon) -> MultiPolygon:
    return MultiPolygon(polygon, srid=4326)


def credit_code(serial: int) -> str:
    """A valid unified social credit code (GB 32100-2015) for a test enterprise."""
    first17 = f"91310116{serial:09d}"
    return first17 + credit_code_check_char(first17)


def region_chain(province: str = "310000", prefix: str = "上海") -> dict[str, Region]:
    """national → province → city → county → park, each a real code pattern."""
    national = Region.objects.get_or_create(code="100000", defaults={"name": "中华人民共和国", "level": "national"})[0]
    p = Region.objects.create(code=province, name=f"{prefix}省", level="province", parent=national)
    city = Region.objects.create(code=province[:2] + "0100", name=f"{prefix}市", level="city", parent=p)
    county = Region.objects.create(code=province[:2] + "0116", name=f"{prefix}区", level="county", parent=city)
    park = Region.objects.create(code=county.code + "P01", name=f"{prefix}化工园区", level="park", parent=county)
    return {"national": national, "province": p, "city": city, "county": county, "park": park}


def enterprise(
    region: Region, serial: int = 1, lon: float = LON, lat: float = LAT, population: int = 60, **fields
) -> Enterprise:
    """An enterprise with a 400 m × 400 m site centred on (lon, lat)."""
    return Enterprise.objects.create(
        name=f"测试化工有限公司{serial}",
        credit_code=credit_code(serial),
        industry="chlor_alkali",
        region=region,
        population_500m=population,
        site=multi(square(lon, lat, 200)),
        **fields,
    )


def hazard_source(ent: Enterprise, code: str = "HS01", kind: str = "tank_area", **fields) -> HazardSource:
    """A unit with a 100 m × 100 m boundary at the centre of its enterprise's site."""
    centre = ent.site.centroid
    return HazardSource.objects.create(
        enterprise=ent,
        code=code,
        name=f"{code} 罐区",
        kind=kind,
        footprint=multi(square(centre.x, centre.y, 50)),
        principal_name="张三",
        technical_name="李四",
        operational_name="王五",
        **fields,
    )


def substance(name: str = "二氧化硫", cas: str = "7446-09-5", seq: int | None = 4, categories=(), **fields):
    return Substance.objects.create(
        name_cn=name, cas=cas, gb18218_seq=seq, gb18218_categories=list(categories), **fields
    )


def tank(source: HazardSource, sub: Substance, design_max_kg: float, code: str = "T1", **fields) -> Equipment:
    """A 10 m × 10 m tank at the centre of its unit."""
    centre = source.footprint.centroid
    values = {
        "kind": "tank",
        "tank_type": "horizontal",
        "storage": "pressurised_liquefied",
        "footprint": square(centre.x, centre.y, 5),
    }
    values.update(fields)
    return Equipment.objects.create(
        hazard_source=source,
        code=code,
        name=f"{code} 储罐",
        substance=sub,
        design_max_kg=design_max_kg,
        **values,
    )


def sensor(ent: Enterprise, tag: str = "LT-101", kind: str = "level", unit: str = "%", **fields) -> Sensor:
    centre = ent.site.centroid
    return Sensor.objects.create(
        enterprise=ent,
        tag=tag,
        name=f"{tag} 传感器",
        kind=kind,
        unit=unit,
        location=Point(centre.x, centre.y, srid=4326),
        **fields,
    )
