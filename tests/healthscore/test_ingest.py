"""POST /api/v1/events/: idempotent, partial batches, bad input never a 500."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from healthscore import ingest
from healthscore.models import ContactActivity, Event, EventDaily, HealthDirty
from tests.accounts.factories import AccountFactory, ContactFactory
from tests.tenancy.factories import ApiKeyFactory

URL = "/api/v1/events/"


@pytest.fixture
def api(org, api_client_for):
    return api_client_for(ApiKeyFactory(organization=org))


def post(api, payload):
    body = payload if isinstance(payload, bytes | str) else json.dumps(payload)
    return api.generic("POST", URL, body, content_type="application/json")


def iso(moment: datetime) -> str:
    return moment.isoformat()


def event(account, key, name="login", **extra):
    return {
        "account": account.external_id,
        "name": name,
        "occurred_at": iso(timezone.now() - timedelta(hours=1)),
        "idempotency_key": key,
        **extra,
    }


def test_same_batch_twice_stores_each_event_once(api, org, in_scope):
    # Given a batch of three events on one account
    account = AccountFactory(organization=org, external_id="ACME")
    batch = [
        event(account, "k1"),
        event(account, "k2"),
        event(account, "k3", "feature.reports", quantity=4),
    ]

    first = post(api, batch)
    second = post(api, batch)

    # Then the first stores three, the second answers duplicates and stores nothing
    assert first.status_code == 200
    assert (first.json()["accepted"], first.json()["duplicates"]) == (3, 0)
    assert second.status_code == 200
    assert (second.json()["accepted"], second.json()["duplicates"]) == (0, 3)
    assert [i["status"] for i in second.json()["items"]] == ["duplicate"] * 3
    with in_scope(org):
        assert Event.objects.filter(organization=org).count() == 3
        rollups = {
            (r.name, r.count, r.quantity_sum) for r in EventDaily.objects.filter(organization=org)
        }
        assert rollups == {("login", 2, 2.0), ("feature.reports", 1, 4.0)}
        assert list(
            HealthDirty.objects.filter(organization=org).values_list("account_id", flat=True)
        ) == [account.pk]


def test_duplicate_key_inside_one_batch_is_stored_once(api, org, in_scope):
    account = AccountFactory(organization=org, external_id="ACME")

    response = post(api, [event(account, "same"), event(account, "same")])

    assert [i["status"] for i in response.json()["items"]] == ["accepted", "duplicate"]
    with in_scope(org):
        assert EventDaily.objects.get(organization=org).count == 1


def test_events_without_key_get_a_generated_one(api, org, in_scope):
    account = AccountFactory(organization=org, external_id="ACME")
    item = event(account, None)
    del item["idempotency_key"]

    post(api, [item])
    post(api, [item])

    with in_scope(org):
        keys = list(
            Event.objects.filter(organization=org).values_list("idempotency_key", flat=True)
        )
    assert len(keys) == 2
    assert all(key.startswith("auto-") for key in keys)


def test_partial_batch_keeps_valid_items_and_reports_each_invalid_one(api, org, in_scope):
    account = AccountFactory(organization=org, external_id="ACME")
    contact = ContactFactory(account=account, email="ana@acme.example")
    now = timezone.now()
    batch = [
        event(account, "ok-1", contact=contact.pk),
        {"account": "NOPE", "name": "login", "occurred_at": iso(now), "idempotency_key": "x1"},
        event(account, "x2", name="Bad Name"),
        {**event(account, "x3"), "occurred_at": "yesterday"},
        {**event(account, "x4"), "occurred_at": iso(now + timedelta(minutes=10))},
        {**event(account, "x5"), "occurred_at": "1999-12-31T23:00:00+00:00"},
        event(account, "x6", quantity="three"),
        event(account, "x7", properties={"blob": "x" * 5000}),
        event(account, "ok-2", contact="ANA@acme.example"),
        "not an object",
        event(account, "x8", contact="ghost@acme.example"),
        {**event(account, "x9"), "occurred_at": "2026-01-01T10:00:00"},
    ]

    response = post(api, batch)

    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (2, 0, 10)
    codes = {i["index"]: [e["code"] for e in i.get("errors", [])] for i in body["items"]}
    assert codes == {
        0: [],
        1: ["unknown_account"],
        2: ["invalid_name"],
        3: ["invalid_timestamp"],
        4: ["in_future"],
        5: ["too_old"],
        6: ["invalid_quantity"],
        7: ["properties_too_large"],
        8: [],
        9: ["invalid"],
        10: ["unknown_contact"],
        11: ["invalid_timestamp"],
    }
    with in_scope(org):
        assert set(
            Event.objects.filter(organization=org).values_list("idempotency_key", flat=True)
        ) == {"ok-1", "ok-2"}
        assert ContactActivity.objects.get(organization=org).contact_id == contact.pk


def test_one_item_reports_every_reason(api, org):
    response = post(api, [{"account": "NOPE", "name": "???", "occurred_at": 5, "quantity": True}])

    errors = response.json()["items"][0]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [
        ("account", "unknown_account"),
        ("name", "invalid_name"),
        ("occurred_at", "invalid_timestamp"),
        ("quantity", "invalid_quantity"),
    ]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{not json", 400, "malformed_json"),
        (b"\xff\xfe\x00", 400, "malformed_json"),
        (b'{"account": "A"}', 400, "invalid_batch"),
        (b"null", 400, "invalid_batch"),
    ],
)
def test_bad_bodies_are_400_with_a_code(api, body, status, code):
    response = post(api, body)
    assert response.status_code == status
    assert response.json()["code"] == code


def test_more_than_ten_thousand_items_is_413(api, org):
    response = post(api, [{}] * 10_001)

    assert response.status_code == 413
    assert response.json()["code"] == "too_many_events"


def test_exactly_ten_thousand_items_is_answered(api, org, in_scope):
    account = AccountFactory(organization=org, external_id="ACME")
    base = datetime(2026, 1, 1, tzinfo=UTC)
    batch = [
        {
            "account": "ACME",
            "name": "login",
            "occurred_at": iso(base + timedelta(minutes=i)),
            "idempotency_key": f"k{i}",
        }
        for i in range(10_000)
    ]

    response = post(api, batch)

    assert response.status_code == 200
    assert response.json()["accepted"] == 10_000
    with in_scope(org):
        assert (
            sum(
                EventDaily.objects.filter(organization=org, account=account).values_list(
                    "count", flat=True
                )
            )
            == 10_000
        )


def test_other_organizations_accounts_are_unknown(api, other_org, org):
    AccountFactory(organization=other_org, external_id="THEIRS")

    response = post(
        api, [{"account": "THEIRS", "name": "login", "occurred_at": iso(timezone.now())}]
    )

    assert response.json()["items"][0]["errors"][0]["code"] == "unknown_account"


def test_read_only_key_cannot_ingest(org, api_client_for):
    api = api_client_for(ApiKeyFactory(organization=org, scope="read"))
    assert post(api, []).status_code == 403


def test_rollup_day_is_the_organization_local_day(api, org, in_scope):
    # 01:30 UTC is still the previous day in São Paulo (UTC-3)
    account = AccountFactory(organization=org, external_id="ACME")
    org.time_zone = "America/Sao_Paulo"
    org.save()

    post(api, [{"account": "ACME", "name": "login", "occurred_at": "2026-03-02T01:30:00Z"}])

    with in_scope(org):
        assert str(EventDaily.objects.get(organization=org, account=account).day) == "2026-03-01"


def test_copy_buffer_escapes_keys_and_properties_for_copy_text_format():
    # Given rows whose key and properties hold COPY's special characters
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    rows = [
        (1, 2, None, "login", moment, moment.date(), 1.5, {}, "a\tb\\c\nd\re", moment),
        (1, 3, 4, "feature.x", moment, moment.date(), 2.0, {"k": "v\\w"}, "plain", moment),
    ]

    # When the COPY buffer is built
    buffer = ingest._copy_buffer(rows)

    # Then every special character is escaped and NULL is \N
    stamp = "2026-01-02T03:04:05+00:00"
    assert buffer == (
        f"1\t2\t\\N\tlogin\t{stamp}\t2026-01-02\t1.5\t{{}}\ta\\tb\\\\c\\nd\\re\t{stamp}\n"
        f'1\t3\t4\tfeature.x\t{stamp}\t2026-01-02\t2.0\t{{"k":"v\\\\\\\\w"}}\tplain\t{stamp}\n'
    )


def test_key_with_tab_newline_and_backslash_is_stored_verbatim(api, org, in_scope):
    # Given an account and a key holding COPY's special characters
    account = AccountFactory(organization=org, external_id="ACME-ESC")
    key = "k\t1\\2\n3"

    # When the event is sent twice
    first = post(api, [event(account, key)])
    second = post(api, [event(account, key)])

    # Then it is stored once, under exactly that key
    assert (first.json()["accepted"], second.json()["duplicates"]) == (1, 1)
    with in_scope(org):
        assert list(Event.objects.values_list("idempotency_key", flat=True)) == [key]
        assert EventDaily.objects.get(account=account).count == 1


def test_nul_characters_are_item_errors_not_server_errors(api, org, in_scope):
    account = AccountFactory(organization=org)
    batch = [
        event(account, "ok-1"),
        {**event(account, "nul-account"), "account": "ACC\x00X"},
        event(account, "nul\x00key"),
        event(account, "nul-props", properties={"plan": "pro\x00"}),
        {**event(account, "nul-contact"), "contact": "a\x00@b.com"},
    ]

    response = post(api, batch)

    assert response.status_code == 200
    statuses = [item["status"] for item in response.json()["items"]]
    assert statuses == ["accepted", "rejected", "rejected", "rejected", "rejected"]
