from datetime import timedelta

import pytest
from django.utils import timezone

from surveys.models import Survey, SurveyResponse
from tenancy.models import ApiKey, AuditEvent
from tests.accounts.factories import AccountFactory, ContactFactory
from tests.surveys.factories import SurveyFactory, SurveyResponseFactory
from tests.tenancy.factories import ApiKeyFactory


@pytest.fixture
def write_key(org, api_client_for):
    return api_client_for(ApiKeyFactory(organization=org, scope=ApiKey.Scope.WRITE))


def _errors(response):
    return {(error["field"], error["code"]) for error in response.json()["errors"]}


def test_integration_pushes_an_answer_by_external_id(org, write_key, in_scope):
    survey = SurveyFactory(organization=org, kind="csat")
    account = AccountFactory(organization=org, external_id="CRM-1")
    contact = ContactFactory(account=account)

    response = write_key.post(
        "/api/v1/survey-responses/",
        {
            "survey": survey.id,
            "account": "CRM-1",
            "contact": contact.id,
            "score": 2,
            "comment": "Slow support",
            "answered_at": "2026-01-10T12:00:00-03:00",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert {k: body[k] for k in ("survey", "account", "contact", "kind", "score", "category")} == {
        "survey": survey.id,
        "account": account.id,
        "contact": contact.id,
        "kind": "csat",
        "score": 2,
        "category": "detractor",
    }
    assert body["source"] == "api"
    with in_scope(org):
        assert SurveyResponse.objects.get().answered_at.isoformat() == "2026-01-10T15:00:00+00:00"
        event = AuditEvent.objects.get(action="survey_response.recorded")
        assert event.actor_api_key_id is not None


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({}, {("survey", "required"), ("account", "required"), ("score", "required")}),
        (
            {"survey": 999999, "account": "nope", "score": 5},
            {("survey", "not_found"), ("account", "not_found")},
        ),
        (
            {"survey": "SURVEY", "account": 1.5, "score": "9"},
            {("survey", "not_found"), ("account", "invalid"), ("score", "invalid")},
        ),
        (
            {"survey": True, "account": None, "score": None},
            {("survey", "invalid"), ("account", "null"), ("score", "null")},
        ),
        ({"score": 11}, {("score", "invalid_score")}),
        ({"score": 9, "comment": "x" * 2001}, {("comment", "max_length")}),
        ({"score": 9, "answered_at": "yesterday"}, {("answered_at", "invalid")}),
        ({"score": 9, "answered_at": "2999-01-01T00:00:00Z"}, {("answered_at", "in_future")}),
        ({"score": 9, "answered_at": "2026-01-01T00:00:00+23:00"}, {("answered_at", "invalid")}),
        ({"score": 9, "contact": 2**70}, {("contact", "not_found")}),
        ({"score": 9, "contact": "abc\x00"}, {("contact", "not_found")}),
    ],
)
def test_bad_answers_get_field_errors_never_500(payload, expected, org, write_key, in_scope):
    survey = SurveyFactory(organization=org, kind="nps")
    AccountFactory(organization=org, external_id="CRM-2")
    base = (
        {"survey": survey.id, "account": "CRM-2"}
        if "score" in payload and len(payload) <= 2
        else {}
    )
    if set(payload) - {"score", "comment", "answered_at", "contact"}:
        base = {}

    response = write_key.post("/api/v1/survey-responses/", {**base, **payload}, format="json")

    assert response.status_code == 400, response.json()
    assert _errors(response) == expected
    with in_scope(org):
        assert SurveyResponse.objects.count() == 0


def test_contact_of_another_account_is_refused(org, write_key):
    survey = SurveyFactory(organization=org)
    account = AccountFactory(organization=org)
    stranger = ContactFactory(account__organization=org)

    response = write_key.post(
        "/api/v1/survey-responses/",
        {"survey": survey.id, "account": account.id, "contact": stranger.id, "score": 9},
        format="json",
    )

    assert response.status_code == 400
    assert _errors(response) == {("contact", "contact_not_in_account")}


def test_list_filters_and_query_count_is_fixed(
    org, api_client_for, django_assert_num_queries, in_scope
):
    survey = SurveyFactory(organization=org, kind="nps")
    csat = SurveyFactory(organization=org, kind="csat")
    account = AccountFactory(organization=org)
    now = timezone.now()
    for score in (10, 9, 8, 3):
        SurveyResponseFactory(organization=org, survey=survey, account=account, score=score)
    SurveyResponseFactory(organization=org, survey=csat, score=5)
    SurveyResponseFactory(
        organization=org, survey=survey, score=0, answered_at=now - timedelta(days=400)
    )
    read = api_client_for(ApiKeyFactory(organization=org))

    def ids(query):
        body = read.get(f"/api/v1/survey-responses/?{query}").json()
        return sorted(row["score"] for row in body["results"])

    assert ids("") == [0, 3, 5, 8, 9, 10]
    assert ids("category=promoter") == [5, 9, 10]
    assert ids("kind=nps&category=promoter") == [9, 10]
    assert ids("category=detractor") == [0, 3]
    assert ids(f"account={account.id}") == [3, 8, 9, 10]
    assert ids(f"survey={csat.id}") == [5]
    since = (now - timedelta(days=30)).isoformat().replace("+00:00", "Z")
    assert ids(f"since={since}&kind=nps") == [3, 8, 9, 10]
    for bad in ("category=fan", "kind=xyz", "since=tomorrow", "account=0", f"survey={2**70}"):
        assert read.get(f"/api/v1/survey-responses/?{bad}").status_code == 400, bad

    # key lookup + page: the same count for 6 and 36 answers
    with django_assert_num_queries(2):
        read.get("/api/v1/survey-responses/")
    for _ in range(30):
        SurveyResponseFactory(organization=org, survey=survey, score=7)
    with django_assert_num_queries(2):
        assert len(read.get("/api/v1/survey-responses/").json()["results"]) == 36


def test_results_by_hand_with_period_and_query_count(
    org, api_client_for, django_assert_num_queries
):
    survey = SurveyFactory(organization=org, kind="nps")
    old = timezone.now() - timedelta(days=100)
    # promoters 10, 9, 9; passive 7; detractors 6, 2 → (3 - 2) / 6 = 16.7 → 17
    for score in (10, 9, 9, 7, 6, 2):
        SurveyResponseFactory(organization=org, survey=survey, score=score)
    SurveyResponseFactory(organization=org, survey=survey, score=0, answered_at=old)
    read = api_client_for(ApiKeyFactory(organization=org))
    since = (timezone.now() - timedelta(days=30)).isoformat().replace("+00:00", "Z")
    read.get("/api/v1/me/")  # the key's last_used_at is written at most once a minute

    # key, survey, one aggregate
    with django_assert_num_queries(3):
        body = read.get(f"/api/v1/surveys/{survey.id}/results/?since={since}").json()

    assert body["score"] == 17
    assert body["responses"] == 6
    assert body["counts"] == {"promoter": 3, "passive": 1, "detractor": 2}
    assert body["scores"][10] == {"score": 10, "count": 1}
    assert body["scores"][0] == {"score": 0, "count": 0}
    everything = read.get(f"/api/v1/surveys/{survey.id}/results/").json()
    # 3 promoters, 3 detractors of 7 → 0
    assert (everything["score"], everything["responses"]) == (0, 7)
    assert read.get(f"/api/v1/surveys/{survey.id}/results/?since=bad").status_code == 400
    assert read.get(f"/api/v1/surveys/{survey.id}/results/?segment=huge").status_code == 400
    until = (timezone.now() - timedelta(days=60)).isoformat().replace("+00:00", "Z")
    response = read.get(f"/api/v1/surveys/{survey.id}/results/?since={since}&until={until}")
    assert response.status_code == 400


def test_csat_and_ces_results(org, api_client_for):
    csat = SurveyFactory(organization=org, kind="csat")
    ces = SurveyFactory(organization=org, kind="ces")
    for score in (5, 4, 3, 1):
        SurveyResponseFactory(organization=org, survey=csat, score=score)
    for score in (7, 6, 2):
        SurveyResponseFactory(organization=org, survey=ces, score=score)
    read = api_client_for(ApiKeyFactory(organization=org))

    assert read.get(f"/api/v1/surveys/{csat.id}/results/").json()["score"] == 50.0
    assert read.get(f"/api/v1/surveys/{ces.id}/results/").json()["score"] == 5.0


def test_surveys_managers_write_members_read(org, member, client_for, write_key, in_scope):
    manager = client_for(member("manager"))
    csm = client_for(member("csm"))
    payload = {"name": "Onboarding CSAT", "kind": "csat"}

    assert csm.post("/api/v1/surveys/", payload, content_type="application/json").status_code == 403
    assert write_key.post("/api/v1/surveys/", payload, format="json").status_code == 403
    created = manager.post("/api/v1/surveys/", payload, content_type="application/json")
    assert created.status_code == 201
    survey_id = created.json()["id"]
    assert csm.get("/api/v1/surveys/").json()["results"][0]["name"] == "Onboarding CSAT"
    bad = manager.patch(
        f"/api/v1/surveys/{survey_id}/",
        {"kind": "xyz", "name": ""},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert _errors(bad) == {("kind", "invalid_choice"), ("name", "blank")}
    assert manager.delete(f"/api/v1/surveys/{survey_id}/").status_code == 405
    with in_scope(org):
        assert Survey.objects.get().kind == "csat"


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "{bad json", "null"])
def test_malformed_bodies_are_400(body, org, write_key):
    response = write_key.post("/api/v1/survey-responses/", body, content_type="application/json")

    assert response.status_code == 400
    assert "code" in response.json()


def test_automatic_sending_is_set_through_the_api_with_the_service_rules(
    org, member, client_for, in_scope
):
    manager = client_for(member("manager"))

    created = manager.post(
        "/api/v1/surveys/",
        {"name": "Relationship", "kind": "nps", "auto_trigger": "periodic", "period_days": 90},
        content_type="application/json",
    )
    out_of_range = manager.post(
        "/api/v1/surveys/",
        {"name": "Onboarding", "kind": "csat", "auto_trigger": "after_go_live", "delay_days": 0},
        content_type="application/json",
    )
    taken = manager.post(
        "/api/v1/surveys/",
        {"name": "Second", "kind": "nps", "auto_trigger": "periodic"},
        content_type="application/json",
    )

    assert created.status_code == 201
    assert (created.json()["auto_trigger"], created.json()["period_days"]) == ("periodic", 90)
    assert out_of_range.status_code == 400
    assert [error["field"] for error in out_of_range.json()["errors"]] == ["delay_days"]
    assert taken.status_code == 400
    assert _errors(taken) == {("auto_trigger", "trigger_taken")}
    with in_scope(org):
        assert list(Survey.objects.values_list("name", flat=True)) == ["Relationship"]
