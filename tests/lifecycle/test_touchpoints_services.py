"""Touchpoint services: validation, dedupe by source key, edit/delete own, inbound replies."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from lifecycle.models import Touchpoint
from lifecycle.services.touchpoints import touchpoint_delete, touchpoint_log, touchpoint_update
from outreach.signals import message_received
from tenancy.models import Role
from tests.accounts.factories import AccountFactory, ContactFactory
from tests.lifecycle.factories_records import TouchpointFactory

pytestmark = pytest.mark.django_db


def _codes(error: ValidationError) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in error.error_dict.items()}


def test_log_keeps_who_logged_it(org, member, in_scope):
    account = AccountFactory(organization=org)
    contact = ContactFactory(account=account)
    csm = member(Role.CSM)
    when = timezone.now() - timedelta(days=2)

    with in_scope(org):
        row = touchpoint_log(
            organization=org,
            account=account,
            contact=contact,
            channel="meeting",
            direction="outbound",
            summary="  Quarterly review  ",
            sentiment="positive",
            occurred_at=when,
            actor=csm.user,
        )

    assert (row.summary, row.logged_by, row.contact, row.occurred_at, row.source) == (
        "Quarterly review",
        csm.user,
        contact,
        when,
        "manual",
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"summary": "   "}, {"summary": ["required"]}),
        ({"summary": "x" * 4001}, {"summary": ["max_length"]}),
        ({"occurred_at": "future"}, {"occurred_at": ["in_future"]}),
        ({"channel": "fax"}, {"channel": ["invalid_choice"]}),
        ({"sentiment": "ecstatic"}, {"sentiment": ["invalid_choice"]}),
        ({"contact": "other"}, {"contact": ["contact_other_account"]}),
    ],
)
def test_log_refuses_bad_input(changes, expected, org, in_scope):
    account = AccountFactory(organization=org)
    other_contact = ContactFactory(account=AccountFactory(organization=org))
    fields = {"channel": "call", "summary": "Spoke", "occurred_at": timezone.now()}
    fields.update(changes)
    if fields["occurred_at"] == "future":
        fields["occurred_at"] = timezone.now() + timedelta(minutes=6)
    if fields.get("contact") == "other":
        fields["contact"] = other_contact

    with in_scope(org), pytest.raises(ValidationError) as raised:
        touchpoint_log(organization=org, account=account, actor=None, **fields)

    assert _codes(raised.value) == expected
    with in_scope(org):
        assert Touchpoint.objects.count() == 0


def test_a_few_minutes_of_clock_skew_are_accepted(org, in_scope):
    account = AccountFactory(organization=org)

    with in_scope(org):
        row = touchpoint_log(
            organization=org,
            account=account,
            channel="note",
            summary="Clock ahead",
            occurred_at=timezone.now() + timedelta(minutes=4),
        )

    assert row.pk is not None


def test_same_source_key_logs_once(org, in_scope):
    account = AccountFactory(organization=org)

    with in_scope(org):
        first = touchpoint_log(
            organization=org, account=account, channel="email", summary="A", source_key="k-1"
        )
        second = touchpoint_log(
            organization=org, account=account, channel="email", summary="B", source_key="k-1"
        )
        count = Touchpoint.objects.count()

    assert (second.pk, second.summary, count) == (first.pk, "A", 1)


def test_account_of_another_organization_is_refused(org, other_org, in_scope):
    foreign = AccountFactory(organization=other_org)

    with in_scope(org), pytest.raises(PermissionDenied):
        touchpoint_log(organization=org, account=foreign, channel="call", summary="x")


def test_author_edits_own_touchpoint(org, member, in_scope):
    csm = member(Role.CSM)
    row = TouchpointFactory(account=AccountFactory(organization=org), logged_by=csm.user)

    with in_scope(org):
        touchpoint_update(
            organization=org, touchpoint=row, membership=csm, summary="Fixed", sentiment="negative"
        )
        row.refresh_from_db()

    assert (row.summary, row.sentiment, row.channel) == ("Fixed", "negative", "call")


def test_another_csm_cannot_edit_or_delete_but_a_manager_can(org, member, in_scope):
    author, colleague, manager = member(Role.CSM), member(Role.CSM), member(Role.MANAGER)
    row = TouchpointFactory(account=AccountFactory(organization=org), logged_by=author.user)

    with in_scope(org):
        with pytest.raises(PermissionDenied):
            touchpoint_update(organization=org, touchpoint=row, membership=colleague, summary="x")
        with pytest.raises(PermissionDenied):
            touchpoint_delete(organization=org, touchpoint=row, membership=colleague)
        touchpoint_update(organization=org, touchpoint=row, membership=manager, summary="ok")
        touchpoint_delete(organization=org, touchpoint=row, membership=manager)
        assert Touchpoint.objects.count() == 0


def test_edit_to_the_future_is_refused(org, member, in_scope):
    csm = member(Role.CSM)
    row = TouchpointFactory(account=AccountFactory(organization=org), logged_by=csm.user)

    with in_scope(org), pytest.raises(ValidationError) as raised:
        touchpoint_update(
            organization=org,
            touchpoint=row,
            membership=csm,
            occurred_at=timezone.now() + timedelta(days=1),
        )

    assert _codes(raised.value) == {"occurred_at": ["in_future"]}


def test_inbound_reply_becomes_one_touchpoint_even_when_the_signal_comes_twice(org, in_scope):
    # Given a contact's WhatsApp reply announced by outreach
    account = AccountFactory(organization=org)
    contact = ContactFactory(account=account)
    received = datetime(2026, 3, 4, 12, 30, tzinfo=UTC)
    kwargs = {
        "organization": org,
        "inbound_id": 41,
        "account_id": account.pk,
        "contact_id": contact.pk,
        "channel": "whatsapp",
        "body": "Thanks, all good!",
        "received_at": received,
    }

    # When the signal is delivered twice
    with in_scope(org):
        message_received.send(sender=None, **kwargs)
        message_received.send(sender=None, **kwargs)
        rows = list(Touchpoint.objects.all())

    # Then exactly one inbound WhatsApp touchpoint exists
    assert [
        (r.channel, r.direction, r.source, r.source_key, r.summary, r.contact_id, r.occurred_at)
        for r in rows
    ] == [
        (
            "whatsapp",
            "inbound",
            "whatsapp_reply",
            "inbound:41",
            "Thanks, all good!",
            contact.pk,
            received,
        )
    ]


def test_inbound_reply_for_a_vanished_account_logs_nothing(org, in_scope):
    with in_scope(org):
        message_received.send(
            sender=None,
            organization=org,
            inbound_id=1,
            account_id=987654,
            contact_id=None,
            channel="whatsapp",
            body="?",
            received_at=timezone.now(),
        )
        assert Touchpoint.objects.count() == 0
