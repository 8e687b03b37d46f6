"""The regions of the demo: the national root, the 31 provinces, Shanghai's chain down to the park, and
the generated cities, counties and parks of the larger scales.

Codes are GB/T 2260 codes where real (the 31 provinces; 310100 上海市市辖区 and the other municipal
市辖区 codes 110100, 120100, 500100; 310116 金山区). Generated regions get codes that no real region
uses (cities PP7100-PP9900, counties PPCC01-PPCC03 or, in municipalities, PP0171-PP0199) and names that
say they are invented ("演示市01", "演示县01", "演示区01", "江苏演示化工园区01").

Boundaries are schematic, not surveyed boundaries: simple polygons that nest (province ⊃ city ⊃ county ⊃
park) for Shanghai, a box 800 m round each generated park for its county, none for generated cities and
for provinces other than Shanghai. The national region has no boundary: the demo draws no national borders.
"""

from __future__ import annotations

from dataclasses import dataclass

import shapely

NATIONAL = ("100000", "中华人民共和国", "People's Republic of China")


@dataclass(frozen=True)
class Province:
    """A province-level region: code, names, its capital's approximate position (degrees) and the demo's
    share of parks (``weight``). Generated parks lie on rings round (``lon``, ``lat``), from ``r0_km``
    out, within the compass sector ``sector`` (degrees clockwise from north), which keeps them off the
    sea and the big lakes near some capitals. ``city`` is the real 市辖区 code of a municipality."""

    code: str
    name: str
    short: str
    name_en: str
    lon: float
    lat: float
    weight: float
    sector: tuple[float, float] = (0.0, 360.0)
    city: tuple[str, str, str] | None = None
    r0_km: float = 20.0


PROVINCES = (
    Province(
        "110000", "北京市", "北京", "Beijing", 116.40, 39.90, 1, (180, 300), ("110100", "北京市市辖区", "Beijing")
    ),
    Province(
        "120000", "天津市", "天津", "Tianjin", 117.20, 39.13, 3, (200, 340), ("120100", "天津市市辖区", "Tianjin")
    ),
    Province("130000", "河北省", "河北", "Hebei", 114.51, 38.04, 5),
    Province("140000", "山西省", "山西", "Shanxi", 112.55, 37.87, 2),
    Province("150000", "内蒙古自治区", "内蒙古", "Inner Mongolia", 111.75, 40.84, 3),
    Province("210000", "辽宁省", "辽宁", "Liaoning", 123.43, 41.80, 4),
    Province("220000", "吉林省", "吉林", "Jilin", 125.32, 43.82, 2),
    Province("230000", "黑龙江省", "黑龙江", "Heilongjiang", 126.53, 45.80, 2),
    # Shanghai's generated parks ring the south-western suburbs (Songjiang, Qingpu, Minhang), clear of
    # the demo park at Caojing, the Huangpu's mouth and Dianshan Lake.
    Province(
        "310000",
        "上海市",
        "上海",
        "Shanghai",
        121.30,
        31.08,
        3,
        city=("310100", "上海市市辖区", "Shanghai"),
        r0_km=10.0,
    ),
    Province("320000", "江苏省", "江苏", "Jiangsu", 118.80, 32.06, 10),
    Province("330000", "浙江省", "浙江", "Zhejiang", 120.16, 30.27, 7, (200, 340)),
    Province("340000", "安徽省", "安徽", "Anhui", 117.23, 31.82, 3, (240, 420)),
    Province("350000", "福建省", "福建", "Fujian", 119.30, 26.08, 3, (200, 340)),
    Province("360000", "江西省", "江西", "Jiangxi", 115.86, 28.68, 2, (150, 300)),
    Province("370000", "山东省", "山东", "Shandong", 117.00, 36.65, 10),
    Province("410000", "河南省", "河南", "Henan", 113.63, 34.75, 4),
    Province("420000", "湖北省", "湖北", "Hubei", 114.31, 30.59, 4),
    Province("430000", "湖南省", "湖南", "Hunan", 112.94, 28.23, 2),
    Province("440000", "广东省", "广东", "Guangdong", 113.26, 23.13, 5, (270, 390)),
    Province("450000", "广西壮族自治区", "广西", "Guangxi", 108.37, 22.82, 2),
    Province("460000", "海南省", "海南", "Hainan", 110.35, 20.02, 1, (120, 240)),
    Province("500000", "重庆市", "重庆", "Chongqing", 106.55, 29.56, 2, city=("500100", "重庆市市辖区", "Chongqing")),
    Province("510000", "四川省", "四川", "Sichuan", 104.07, 30.57, 3),
    Province("520000", "贵州省", "贵州", "Guizhou", 106.63, 26.65, 2),
    Province("530000", "云南省", "云南", "Yunnan", 102.83, 24.88, 2, (0, 120)),
    Province("540000", "西藏自治区", "西藏", "Tibet", 91.13, 29.65, 1),
    Province("610000", "陕西省", "陕西", "Shaanxi", 108.94, 34.34, 3),
    Province("620000", "甘肃省", "甘肃", "Gansu", 103.83, 36.06, 2),
    Province("630000", "青海省", "青海", "Qinghai", 101.78, 36.62, 1),
    Province("640000", "宁夏回族自治区", "宁夏", "Ningxia", 106.23, 38.49, 2),
    Province("650000", "新疆维吾尔自治区", "新疆", "Xinjiang", 87.62, 43.83, 3),
)
SHANGHAI = next(p for p in PROVINCES if p.code == "310000")


@dataclass(frozen=True)
class RegionSpec:
    """One region to create: code, names, level, parent's code and schematic boundary (degrees) or None."""

    code: str
    name: str
    name_en: str
    level: str
    parent: str | None
    boundary: shapely.Polygon | None = None


# Schematic boundaries of Shanghai (degrees). The province is a simple octagon over the mainland, kept
# north of 30.786 °N (the shore of Hangzhou Bay); the city is the province drawn 0.002° inside; the
# county (Jinshan) a box round Caojing. None of them is the surveyed boundary.
SHANGHAI_PROVINCE = shapely.Polygon(
    [
        (120.90, 30.786),
        (121.50, 30.786),
        (121.85, 30.90),
        (121.90, 31.20),
        (121.55, 31.45),
        (121.20, 31.50),
        (120.95, 31.30),
        (120.90, 31.00),
    ]
)
SHANGHAI_CITY = SHANGHAI_PROVINCE.buffer(-0.002, join_style="mitre")
JINSHAN = shapely.box(121.15, 30.790, 121.42, 30.90)


def national() -> RegionSpec:
    code, name, name_en = NATIONAL
    return RegionSpec(code, name, name_en, "national", None)


def province(spec: Province) -> RegionSpec:
    boundary = SHANGHAI_PROVINCE if spec is SHANGHAI else None
    return RegionSpec(spec.code, spec.name, spec.name_en, "province", NATIONAL[0], boundary)


def shanghai_chain(park_boundary: shapely.Polygon) -> list[RegionSpec]:
    """上海市 → 上海市市辖区 → 金山区 → 上海化学工业区, with schematic nested boundaries.

    ``park_boundary`` is the park's boundary in degrees.
    """
    return [
        national(),
        province(SHANGHAI),
        RegionSpec("310100", "上海市市辖区", "Shanghai", "city", "310000", SHANGHAI_CITY),
        RegionSpec("310116", "金山区", "Jinshan District", "county", "310100", JINSHAN),
        RegionSpec("310116P01", "上海化学工业区", "Shanghai Chemical Industry Park", "park", "310116", park_boundary),
    ]


def generated_park_name(spec: Province, index: int) -> str:
    """The name of the ``index``-th (0-based) generated park of a province, e.g. "江苏演示化工园区03"."""
    return f"{spec.short}演示化工园区{index + 1:02d}"


def generated_chain(
    spec: Province, index: int, park_boundary: shapely.Polygon, county_boundary: shapely.Polygon
) -> list[RegionSpec]:
    """Province → (generated) city → generated county → generated park for the ``index``-th (0-based)
    generated park of a province; boundaries in degrees."""
    number = index + 1
    chain = [national(), province(spec)]
    if spec.city is not None:  # a municipality: counties (districts) under its real 市辖区
        if number > 29:
            raise ValueError(f"{spec.name}: at most 29 generated districts, not {number}")
        city_code, city_name, city_en = spec.city
        chain.append(RegionSpec(city_code, city_name, city_en, "city", spec.code))
        county_code, county_name, county_en = f"{spec.code[:2]}01{70 + number}", f"演示区{number:02d}", "Demo district"
    else:  # three generated counties per generated city
        city_number = index // 3 + 1
        if city_number > 29:
            raise ValueError(f"{spec.name}: at most 87 generated parks, not {number}")
        city_code = f"{spec.code[:2]}{70 + city_number}00"
        chain.append(
            RegionSpec(city_code, f"演示市{city_number:02d}", f"Demo city {city_number:02d}", "city", spec.code)
        )
        county_code = f"{city_code[:4]}{index % 3 + 1:02d}"
        county_name, county_en = f"演示县{number:02d}", "Demo county"
    chain.append(
        RegionSpec(county_code, county_name, f"{county_en} {number:02d}", "county", chain[-1].code, county_boundary)
    )
    chain.append(
        RegionSpec(
            f"{county_code}P01",
            generated_park_name(spec, index),
            f"{spec.name_en} demo chemical park {number:02d}",
            "park",
            county_code,
            park_boundary,
        )
    )
    return chain
