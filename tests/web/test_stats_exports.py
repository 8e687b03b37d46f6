"""Exports of the dashboard's figures (/app/stats?format=csv|xlsx): each table read back, with Chinese headers and
labels unless English is chosen, in the user's scope.

The data: in the park, units with possible deaths 5 (grade 1) and 40 (grade 2, one first-level "high" alarm
and one second-level "high-high" alarm yesterday); in the county outside the park, one with none given and
no grade; in Zhejiang one with 120.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from geo.models import Alarm, HazardSource
from tests.factories import enterprise, hazard_source, region_chain
from web.stats import TABLES


@pytest.fixture
def users(db):
    shanghai = region_chain()
    zhejiang = region_chain("330000", "浙江")
    chlor = enterprise(shanghai["park"], 1)
    store = enterprise(shanghai["county"], 2, lon=121.36)
    other = enterprise(zhejiang["park"], 3, lon=120.5, lat=30.2)
    a = hazard_source(chlor, "HS01", potential_fatalities=5)
    b = hazard_source(chlor, "HS02", potential_fatalities=40)
    hazard_source(store, "HS03")
    hazard_source(other, "HS09", potential_fatalities=120)
    HazardSource.objects.filter(pk=a.pk).update(is_major=True, gb_grade=1)
    HazardSource.objects.filter(pk=b.pk).update(is_major=True, gb_grade=2)
    yesterday = timezone.now() - dt.timedelta(days=1)
    for kind, level in (("hi", 1), ("hihi", 2)):
        Alarm.objects.create(enterprise=chlor, hazard_source=b, kind=kind, level=level, started_at=yesterday)
    make = get_user_model().objects.create_user
    return {
        "county": make("county", region=shanghai["county"], role="regulator"),
        "park": make("park", region=shanghai["park"], role="emergency"),
    }


def read_csv(answer) -> list[list[str]]:
    assert answer.status_code == 200
    assert answer["Content-Type"] == "text/csv; charset=utf-8"
    assert answer.content.startswith("\ufeff".encode())  # the byte order mark spreadsheet programs need
    return list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))


def test_a_csv_table_has_chinese_headers_and_labels_by_default(client, users):
    client.force_login(users["county"])
    answer = client.get("/app/stats", {"format": "csv", "table": "hazard_sources.by_fatalities"})
    assert answer["Content-Disposition"] == 'attachment; filename="hazmap-hazard_sources.by_fatalities.csv"'
    assert read_csv(answer) == [
        ["可能引发事故死亡人数", "数量"],
        ["0–9 人", "1"],
        ["10–29 人", "0"],
        ["30–99 人", "1"],
        ["100 人及以上", "0"],
        ["未填报", "1"],
    ]
    grades = read_csv(client.get("/app/stats", {"format": "csv", "table": "hazard_sources.by_grade"}))
    assert grades == [["重大危险源级别", "数量"], ["一级", "1"], ["二级", "1"], ["未分级", "1"]]


def test_a_csv_table_is_english_once_english_is_chosen(client, users):
    client.force_login(users["county"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    rows = read_csv(client.get("/app/stats", {"format": "csv", "table": "alarms.by_level"}))
    assert rows == [["alarm level", "count"], ["first-level alarm", "1"], ["second-level alarm", "1"]]
    rows = read_csv(client.get("/app/stats", {"format": "csv", "table": "hazard_sources.by_fatalities"}))
    assert rows[0] == ["possible deaths", "count"] and rows[4:] == [["100 or more", "0"], ["not given", "1"]]


def test_a_park_user_exports_only_the_parks_numbers(client, users):
    client.force_login(users["park"])
    rows = read_csv(client.get("/app/stats", {"format": "csv", "table": "hazard_sources.by_region"}))
    assert rows == [["区域代码", "区域", "数量"], ["310116P01", "上海化工园区", "2"]]
    rows = read_csv(client.get("/app/stats", {"format": "csv", "table": "hazard_sources.by_fatalities"}))
    assert [r[1] for r in rows[1:]] == ["1", "0", "1", "0", "0"]


def test_the_workbook_holds_every_table_one_sheet_each_after_a_sheet_that_says_what_each_is(client, users):
    client.force_login(users["county"])
    answer = client.get("/app/stats", {"format": "xlsx", "days": 7})
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert answer["Content-Disposition"] == 'attachment; filename="hazmap-statistics.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    assert len(book.sheetnames) == 1 + len(TABLES)
    about = [[c for c in row if c is not None] for row in book["说明"].iter_rows(values_only=True)]
    assert about[0] == ["hazmap 统计"]
    listed = {row[2]: row[0] for row in about if len(row) == 3 and row[2] != "标识"}
    assert list(listed) == [t.id for t in TABLES]
    assert listed["hazard_sources.by_grade"] == "1 危险源级别统计"
    grades = [list(row) for row in book[listed["hazard_sources.by_grade"]].iter_rows(values_only=True)]
    assert grades == [["重大危险源级别", "数量"], ["一级", 1], ["二级", 1], ["未分级", 1]]
    kinds = [list(row) for row in book[listed["alarms.by_kind"]].iter_rows(values_only=True)]
    assert kinds == [["报警类型", "数量"], ["高报", 1], ["高高报", 1]]
    seasons = [row[0] for row in book[listed["alarms.by_season"]].iter_rows(values_only=True)]
    assert seasons == ["季节", "春季（3–5 月）", "夏季（6–8 月）", "秋季（9–11 月）", "冬季（12–2 月）"]


def test_a_workbook_of_one_table_in_english(client, users):
    client.force_login(users["county"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    answer = client.get("/app/stats", {"format": "xlsx", "table": "alarms.by_level"})
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == ["about", "1 Alarms by level"]
    rows = [list(row) for row in book["1 Alarms by level"].iter_rows(values_only=True)]
    assert rows == [["alarm level", "count"], ["first-level alarm", 1], ["second-level alarm", 1]]


def test_every_table_exports_even_with_nothing_to_count(client, db):
    region = region_chain()["park"]
    client.force_login(get_user_model().objects.create_user("empty", region=region, role="regulator"))
    for table in TABLES:
        rows = read_csv(client.get("/app/stats", {"format": "csv", "table": table.id}))
        assert len(rows[0]) >= 2, table.id
