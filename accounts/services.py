"""Writes of the accounts app. Keyword-only, organization explicit, one transaction each."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import Account, Consent, Contact
from accounts.signals import go_live_changed
from tenancy.models import ApiKey, Organization, User
from tenancy.services import audit_record

# No "stage": the lifecycle engine owns it (lifecycle.services.stages: rules, manual change).
ACCOUNT_FIELDS = {"name", "external_id", "owner", "segment", "industry", "go_live_date"}
CONTACT_FIELDS = {
    "account",
    "name",
    "email",
    "phone",
    "role",
    "locale",
    "is_primary",
    "email_consent",
    "whatsapp_consent",
}


def _check_owner(organization: Organization, owner) -> None:
    if owner is not None and owner.organization_id != organization.id:
        raise PermissionDenied("Owner belongs to another organization.")


def _audit_snapshot(account: Account) -> dict[str, Any]:
    """What the audit log shows: the stage and the owner's email (readable, unlike an id)."""
    return {
        "stage": account.stage,
        "owner": account.owner.user.email if account.owner is not None else None,
    }


@transaction.atomic
def account_create(
    *,
    organization: Organization,
    actor: User | None,
    api_key: ApiKey | None = None,
    **fields: Any,
) -> Account:
    unknown = set(fields) - ACCOUNT_FIELDS
    if unknown:
        raise ValueError(f"Unknown account fields: {sorted(unknown)}")
    _check_owner(organization, fields.get("owner"))
    account = Account(organization=organization, **fields)
    account.stage_entered_at = timezone.now()
    account.save()
    if account.go_live_date is not None:
        go_live_changed.send(
            sender=Account,
            organization=organization,
            changes=[(account.pk, None, account.go_live_date)],
        )
    audit_record(
        organization=organization,
        actor=actor,
        api_key=api_key,
        action="account.created",
        target=account,
        after=_audit_snapshot(account),
    )
    return account


@transaction.atomic
def account_update(
    *,
    organization: Organization,
    account: Account,
    actor: User | None,
    api_key: ApiKey | None = None,
    **fields: Any,
) -> Account:
    if account.organization_id != organization.id:
        raise PermissionDenied("Account belongs to another organization.")
    unknown = set(fields) - ACCOUNT_FIELDS
    if unknown:
        raise ValueError(f"Unknown account fields: {sorted(unknown)}")
    _check_owner(organization, fields.get("owner"))
    before = _audit_snapshot(account)
    previous_go_live = account.go_live_date
    changed = [name for name, value in fields.items() if getattr(account, name) != value]
    for name in changed:
        setattr(account, name, fields[name])
    if changed:
        account.save(update_fields=[*changed, "updated_at"])
    if "go_live_date" in changed:
        go_live_changed.send(
            sender=Account,
            organization=organization,
            changes=[(account.pk, previous_go_live, account.go_live_date)],
        )
    after = _audit_snapshot(account)
    if after != before:
        audit_record(
            organization=organization,
            actor=actor,
            api_key=api_key,
            action="account.updated",
            target=account,
            before={k: v for k, v in before.items() if after[k] != v},
            after={k: v for k, v in after.items() if before[k] != v},
        )
    return account


@transaction.atomic
def account_delete(
    *,
    organization: Organization,
    account: Account,
    actor: User | None,
    api_key: ApiKey | None = None,
) -> None:
    if account.organization_id != organization.id:
        raise PermissionDenied("Account belongs to another organization.")
    audit_record(
        organization=organization,
        actor=actor,
        api_key=api_key,
        action="account.deleted",
        target=account,
        before={"name": account.name, "external_id": account.external_id},
    )
    account.delete()


def _consent_timestamps(contact: Contact, fields: dict[str, Any]) -> list[str]:
    touched = []
    now = timezone.now()
    for channel in ("email", "whatsapp"):
        key = f"{channel}_consent"
        if key in fields and fields[key] != Consent.UNKNOWN:
            setattr(contact, f"{key}_at", now)
            touched.append(f"{key}_at")
    return touched


@transaction.atomic
def contact_create(*, organization: Organization, actor: User | None, **fields: Any) -> Contact:
    unknown = set(fields) - CONTACT_FIELDS
    if unknown:
        raise ValueError(f"Unknown contact fields: {sorted(unknown)}")
    account = fields["account"]
    if account.organization_id != organization.id:
        raise PermissionDenied("Account belongs to another organization.")
    contact = Contact(organization=organization, **fields)
    _consent_timestamps(contact, fields)
    contact.save()
    if contact.is_primary:
        _demote_other_primaries(contact)
    return contact


@transaction.atomic
def contact_update(
    *, organization: Organization, contact: Contact, actor: User | None, **fields: Any
) -> Contact:
    if contact.organization_id != organization.id:
        raise PermissionDenied("Contact belongs to another organization.")
    unknown = set(fields) - CONTACT_FIELDS
    if unknown:
        raise ValueError(f"Unknown contact fields: {sorted(unknown)}")
    if "account" in fields and fields["account"].organization_id != organization.id:
        raise PermissionDenied("Account belongs to another organization.")
    changed = {name: value for name, value in fields.items() if getattr(contact, name) != value}
    for name, value in changed.items():
        setattr(contact, name, value)
    touched = _consent_timestamps(contact, changed)
    if changed:
        contact.save(update_fields=[*changed, *touched, "updated_at"])
    if contact.is_primary and "is_primary" in changed:
        _demote_other_primaries(contact)
    return contact


def _demote_other_primaries(contact: Contact) -> None:
    Contact.objects.filter(
        organization_id=contact.organization_id, account_id=contact.account_id, is_primary=True
    ).exclude(pk=contact.pk).update(is_primary=False)


@transaction.atomic
def contact_delete(*, organization: Organization, contact: Contact, actor: User | None) -> None:
    if contact.organization_id != organization.id:
        raise PermissionDenied("Contact belongs to another organization.")
    contact.delete()
