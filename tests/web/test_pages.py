"""The front end's pages: sign-in in Chinese (English on request), the app page with the session written in."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth import get_user_model

from tests.factories import region_chain

PASSWORD = "hazmap-demo"
PAGE = '<!doctype html><html lang="zh-Hans"><head><!--hazmap-session--></head><body></body></html>'


@pytest.fixture
def built(tmp_path, settings):
    """A front end as Vite leaves it: an index.html with the session placeholder."""
    (tmp_path / "index.html").write_text(PAGE, encoding="utf-8")
    settings.FRONTEND_DIST = tmp_path
    return tmp_path


@pytest.fixture
def commander(db):
    park = region_chain()["park"]
    return get_user_model().objects.create_user("park", password=PASSWORD, region=park, role="emergency")


def session_of(page: str) -> dict:
    found = re.search(r'<script id="hazmap-session" type="application/json">(.*?)</script>', page, re.S)
    assert found, page
    return json.loads(found.group(1))


@pytest.mark.django_db
def test_the_app_sends_a_visitor_who_is_not_signed_in_to_the_sign_in_page(client, built):
    answer = client.get("/inspector")
    assert answer.status_code == 302
    assert answer["Location"] == "/login/?next=/inspector"


@pytest.mark.django_db
def test_the_sign_in_page_speaks_chinese_even_to_an_english_browser(client):
    answer = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    page = answer.content.decode()
    assert answer.status_code == 200
    assert '<html lang="zh-Hans">' in page
    assert "用户名" in page and "密码" in page and ">登录</button>" in page


@pytest.mark.django_db
def test_the_sign_in_page_speaks_english_once_english_is_chosen(client):
    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert switched.status_code == 302
    page = client.get("/login/").content.decode()
    assert '<html lang="en">' in page
    assert "User name" in page and ">Sign in</button>" in page


@pytest.mark.django_db
def test_a_wrong_password_is_refused_with_a_message_in_the_users_words(client, commander):
    answer = client.post("/login/", {"username": "park", "password": "wrong"})
    assert answer.status_code == 200
    assert "用户名或密码不正确（区分大小写）。" in answer.content.decode()


@pytest.mark.django_db
def test_signing_in_opens_the_map_with_the_user_and_the_words_of_the_data(client, commander, built):
    answer = client.post("/login/", {"username": "park", "password": PASSWORD, "next": "/"})
    assert (answer.status_code, answer["Location"]) == (302, "/")
    page = client.get("/")
    assert page.status_code == 200
    assert page["Cache-Control"].startswith("max-age=0")
    session = session_of(page.content.decode())
    assert session["user"]["username"] == "park"
    assert session["user"]["role"] == "emergency"
    assert session["user"]["region"]["code"] == "310116P01"
    assert session["language"] == "zh"
    assert session["csrf"]
    assert session["labels"]["zh"]["choices"]["sensors"]["alarm_state"]["hihi"] == "高高报"
    assert session["labels"]["en"]["choices"]["sensors"]["alarm_state"]["hihi"] == "high-high"
    assert session["labels"]["zh"]["fields"]["hazard-sources"]["enterprise_name"] == "企业"
    assert session["labels"]["en"]["collections"]["hazard-sources"] == "hazard sources"


@pytest.mark.django_db
def test_every_view_of_the_front_end_is_the_same_page(client, commander, built):
    client.force_login(commander)
    for path in ("/", "/inspector", "/dashboard", "/planner", "/tasks"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert session_of(answer.content.decode())["user"]["username"] == "park"


@pytest.mark.django_db
def test_the_chosen_language_reaches_the_page(client, commander, built):
    client.force_login(commander)
    client.cookies["django_language"] = "en"
    page = client.get("/").content.decode()
    assert page.startswith('<!doctype html><html lang="en">')
    assert session_of(page)["language"] == "en"


@pytest.mark.django_db
def test_a_front_end_not_built_yet_is_a_503_saying_how_to_build_it(client, commander, tmp_path, settings):
    settings.FRONTEND_DIST = tmp_path / "missing"
    client.force_login(commander)
    answer = client.get("/")
    assert answer.status_code == 503
    assert "npm ci && npm run build" in answer.content.decode()
