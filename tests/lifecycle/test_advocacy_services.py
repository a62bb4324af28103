"""Advocacy records: validation per kind and the allowed status steps."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from lifecycle.models import AdvocacyRecord
from lifecycle.services.advocacy import (
    advocacy_record_create,
    advocacy_record_transition,
    advocacy_record_update,
)
from lifecycle.services.success import organization_today
from tenancy.models import AuditEvent
from tests.accounts.factories import AccountFactory, ContactFactory
from tests.lifecycle.factories_records import AdvocacyRecordFactory

pytestmark = pytest.mark.django_db


def _codes(error: ValidationError) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in error.error_dict.items()}


def test_referral_keeps_company_and_outcome(org, in_scope):
    account = AccountFactory(organization=org)
    contact = ContactFactory(account=account)

    with in_scope(org):
        record = advocacy_record_create(
            organization=org,
            account=account,
            contact=contact,
            kind="referral",
            referred_company=" Globex ",
            referral_outcome="open",
            review_site="ignored for referrals",
            link="https://example.com/intro",
            actor=None,
        )

    assert (
        record.status,
        record.referred_company,
        record.referral_outcome,
        record.review_site,
    ) == (
        "requested",
        "Globex",
        "open",
        "",
    )
    assert record.requested_on == organization_today(org)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"kind": "referral"}, {"referred_company": ["required"]}),
        ({"kind": "review"}, {"review_site": ["required"]}),
        ({"kind": "award"}, {"kind": ["invalid_choice"]}),
        ({"kind": "reference", "link": "javascript:alert(1)"}, {"link": ["invalid"]}),
        ({"kind": "reference", "contact": "other"}, {"contact": ["contact_other_account"]}),
        ({"kind": "reference", "requested_on": "tomorrow"}, {"requested_on": ["in_future"]}),
    ],
)
def test_bad_records_are_refused(fields, expected, org, in_scope):
    account = AccountFactory(organization=org)
    if fields.get("contact") == "other":
        fields["contact"] = ContactFactory(account=AccountFactory(organization=org))
    if fields.get("requested_on") == "tomorrow":
        fields["requested_on"] = organization_today(org) + timedelta(days=1)

    with in_scope(org), pytest.raises(ValidationError) as raised:
        advocacy_record_create(organization=org, account=account, actor=None, **fields)

    assert _codes(raised.value) == expected


@pytest.mark.parametrize(
    ("start", "to", "allowed"),
    [
        ("requested", "agreed", True),
        ("requested", "declined", True),
        ("requested", "done", False),
        ("requested", "requested", False),
        ("agreed", "done", True),
        ("agreed", "declined", True),
        ("agreed", "requested", False),
        ("done", "declined", False),
        ("done", "agreed", False),
        ("declined", "agreed", False),
        ("declined", "done", False),
        ("requested", "bogus", False),
    ],
)
def test_status_transitions(start, to, allowed, org, in_scope):
    record = AdvocacyRecordFactory(account=AccountFactory(organization=org), status=start)

    with in_scope(org):
        if allowed:
            advocacy_record_transition(organization=org, record=record, to_status=to, actor=None)
        else:
            with pytest.raises(ValidationError) as raised:
                advocacy_record_transition(
                    organization=org, record=record, to_status=to, actor=None
                )
            assert _codes(raised.value) == {"status": ["invalid_transition"]}
        stored = AdvocacyRecord.objects.get(pk=record.pk)

    assert stored.status == (to if allowed else start)


def test_each_step_keeps_its_day_and_is_audited(org, in_scope):
    record = AdvocacyRecordFactory(
        account=AccountFactory(organization=org), requested_on=date(2026, 1, 5)
    )

    with in_scope(org):
        advocacy_record_transition(
            organization=org, record=record, to_status="agreed", on=date(2026, 1, 9), actor=None
        )
        advocacy_record_transition(organization=org, record=record, to_status="done", actor=None)
        record.refresh_from_db()
        audit = list(AuditEvent.objects.order_by("id").values_list("action", "after"))

    assert (record.status, record.agreed_on, record.done_on) == (
        "done",
        date(2026, 1, 9),
        organization_today(org),
    )
    assert audit == [
        ("advocacy.transition", {"status": "agreed", "on": "2026-01-09"}),
        ("advocacy.transition", {"status": "done", "on": organization_today(org).isoformat()}),
    ]


def test_step_day_before_the_request_is_refused(org, in_scope):
    record = AdvocacyRecordFactory(
        account=AccountFactory(organization=org), requested_on=date(2026, 1, 5)
    )

    with in_scope(org), pytest.raises(ValidationError) as raised:
        advocacy_record_transition(
            organization=org, record=record, to_status="agreed", on=date(2026, 1, 4), actor=None
        )

    assert _codes(raised.value) == {"on": ["invalid_day"]}


def test_update_changes_fields_and_audits_only_changes(org, in_scope):
    record = AdvocacyRecordFactory(account=AccountFactory(organization=org), kind="testimonial")

    with in_scope(org):
        advocacy_record_update(organization=org, record=record, actor=None, notes="Video in May")
        audit = AuditEvent.objects.get()

    assert (audit.action, audit.before, audit.after) == (
        "advocacy.update",
        {"notes": ""},
        {"notes": "Video in May"},
    )
