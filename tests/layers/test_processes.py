"""OGC API – Processes: GB 18218-2018 grading run synchronously, with POST working for tokens and sessions.

Golden numbers from GB 18218-2018: chlorine is Table 1 row 12 with Q = 5 t and β = 4 in Table 3;
α = 2.0 for 100 or more residents (Table 5); R ≥ 100 is grade 1, 50 ≤ R < 100 grade 2 (Table 6).
"""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

CHLORINE_50_T = {
    "inputs": {"holdings": [{"name": "氯", "table1_seq": 12, "cas": "7782-50-5", "q_t": 50}], "population": 120}
}


def test_the_grading_process_is_listed_and_described(as_user):
    client = as_user("regulator")
    listed = [p["id"] for p in client.get("processes").json()["processes"]]
    assert listed == ["gb18218-grading"]
    described = client.get("processes/gb18218-grading").json()
    assert set(described["inputs"]) == {"holdings", "population"}
    assert described["jobControlOptions"] == ["sync-execute"]


def test_grading_50_t_of_chlorine_with_120_residents_gives_grade_2(as_user):
    response = as_user("regulator").post("processes/gb18218-grading/execution", CHLORINE_50_T)
    assert response.status_code == 200, response.content
    result = response.json()
    # S = 50/5 = 10; R = α·β·q/Q = 2.0 × 4 × 10 = 80 → grade 2
    assert (result["s"], result["is_major"], result["alpha"], result["r"], result["grade"]) == (
        10.0,
        True,
        2.0,
        80.0,
        2,
    )
    (term,) = result["terms"]
    assert (term["critical_t"], term["beta"]) == (5.0, 4)


def test_a_unit_below_its_critical_quantity_is_not_a_major_hazard_source(as_user):
    body = {"inputs": {"holdings": [{"name": "氯", "table1_seq": 12, "q_t": 2.5}], "population": 0}}
    result = as_user("regulator").post("processes/gb18218-grading/execution", body).json()
    assert (result["s"], result["is_major"], result["r"], result["grade"]) == (0.5, False, None, None)


@pytest.mark.parametrize(
    ("inputs", "says"),
    [
        ({"holdings": [{"name": "氯", "table1_seq": 999, "q_t": 1}], "population": 1}, "999"),
        ({"holdings": [{"name": "某液体", "categories": ["X9"], "q_t": 1}], "population": 1}, "X9"),
        ({"holdings": [{"name": "氯", "table1_seq": 12, "q_t": -1}], "population": 1}, "negative"),
        ({"holdings": [{"name": "氯", "table1_seq": 12, "q_t": "lots"}], "population": 1}, "q_t"),
        ({"holdings": [{"name": "氯", "table1_seq": 12, "q_t": 1}], "population": -3}, "population"),
        ({"holdings": "氯", "population": 1}, "holdings"),
        ({"holdings": [{"q_t": 1}], "population": 1}, "name"),
        ({"holdings": [{"name": "氯", "q_t": 1, "colour": "green"}], "population": 1}, "colour"),
    ],
)
def test_invalid_inputs_are_a_400_with_the_reason(as_user, inputs, says):
    response = as_user("regulator").post("processes/gb18218-grading/execution", {"inputs": inputs})
    assert response.status_code == 400
    assert says in response.json()["description"]


@pytest.mark.parametrize("body", ["", "not json", "[1, 2]"])
def test_a_request_body_that_is_not_an_execute_request_is_a_400(as_user, body):
    response = as_user("regulator").client.post(
        "/ogc/processes/gb18218-grading/execution",
        body,
        content_type="application/json",
        headers=as_user("regulator").headers,
    )
    assert response.status_code == 400


def test_processes_need_credentials(as_user):
    assert as_user().get("processes").status_code == 401
    assert as_user().post("processes/gb18218-grading/execution", CHLORINE_50_T).status_code == 401


def test_an_unknown_process_is_a_404(as_user):
    assert as_user("regulator").post("processes/nothing/execution", CHLORINE_50_T).status_code == 404


def test_execution_only_accepts_post(as_user):
    response = as_user("regulator").get("processes/gb18218-grading/execution")
    assert response.status_code == 405 and response["Allow"] == "POST"


def test_a_session_post_needs_the_csrf_token_and_a_token_post_does_not(world):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world["users"]["regulator"])
    refused = browser.post("/ogc/processes/gb18218-grading/execution", CHLORINE_50_T, content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["description"]
    browser.get("/admin/login/")  # any page that sets the CSRF cookie
    csrf = browser.cookies["csrftoken"].value
    accepted = browser.post(
        "/ogc/processes/gb18218-grading/execution",
        CHLORINE_50_T,
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )
    assert accepted.status_code == 200, accepted.content
    client = Client(enforce_csrf_checks=True)
    by_token = client.post(
        "/ogc/processes/gb18218-grading/execution",
        CHLORINE_50_T,
        content_type="application/json",
        headers={"Authorization": f"Bearer {world['tokens']['regulator']}"},
    )
    assert by_token.status_code == 200 and by_token.json()["grade"] == 2
