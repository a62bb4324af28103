"""Writes of advocacy records (DESIGN.md, Decisions: advocacy).

Status moves only along `ADVOCACY_TRANSITIONS` (requested → agreed → done; requested or
agreed → declined); the day of each step is stored (the organization's day unless given, never
in the future, never before the request). Kind-specific fields are kept only for their kind
(review site for reviews, referred company and outcome for referrals). Every write is audited.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Account, Contact
from lifecycle.models.advocacy import (
    ADVOCACY_TRANSITIONS,
    AdvocacyKind,
    AdvocacyRecord,
    AdvocacyStatus,
    ReferralOutcome,
)
from tenancy.models import Organization, User
from tenancy.services import audit_record
from tenancy.timezones import organization_today

RECORD_FIELDS = (
    "contact",
    "kind",
    "requested_on",
    "review_site",
    "referred_company",
    "referral_outcome",
    "notes",
    "link",
)
STEP_DATE_FIELD = {
    AdvocacyStatus.AGREED: "agreed_on",
    AdvocacyStatus.DONE: "done_on",
    AdvocacyStatus.DECLINED: "declined_on",
}


def _check(organization: Organization, *objects: Any) -> None:
    for obj in objects:
        if obj is not None and obj.organization_id != organization.id:
            raise PermissionDenied("Object belongs to another organization.")


def _validate(*, organization: Organization, account: Account, values: dict) -> dict:
    errors: dict[str, list[ValidationError]] = {}

    def add(field: str, message: str, code: str) -> None:
        errors.setdefault(field, []).append(ValidationError(message, code=code))

    for name in ("review_site", "referred_company", "notes", "link"):
        values[name] = (values.get(name) or "").strip()
    values["referral_outcome"] = values.get("referral_outcome") or ""
    contact: Contact | None = values.get("contact")
    if contact is not None and contact.account_id != account.pk:
        add("contact", _("This contact belongs to another account."), "contact_other_account")
    kind = values.get("kind")
    if kind not in AdvocacyKind.values:
        add("kind", _("Choose a valid kind."), "invalid_choice")
    if kind == AdvocacyKind.REFERRAL:
        if not values["referred_company"]:
            add("referred_company", _("Name the referred company."), "required")
        if values["referral_outcome"] and values["referral_outcome"] not in ReferralOutcome.values:
            add("referral_outcome", _("Choose a valid outcome."), "invalid_choice")
    else:
        values["referred_company"] = ""
        values["referral_outcome"] = ""
    if kind == AdvocacyKind.REVIEW:
        if not values["review_site"]:
            add("review_site", _("Name the review site (e.g. G2, Capterra)."), "required")
    else:
        values["review_site"] = ""
    if len(values["review_site"]) > 100:
        add("review_site", _("Keep it under 100 characters."), "max_length")
    if len(values["referred_company"]) > 200:
        add("referred_company", _("Keep it under 200 characters."), "max_length")
    if len(values["notes"]) > 4000:
        add("notes", _("Keep the notes under 4000 characters."), "max_length")
    if values["link"]:
        try:
            URLValidator(schemes=["http", "https"])(values["link"])
        except ValidationError:
            add("link", _("Enter a full web address (https://…)."), "invalid")
        if len(values["link"]) > 500:
            add("link", _("Keep the link under 500 characters."), "max_length")
    requested_on = values.get("requested_on")
    if not isinstance(requested_on, date):
        add("requested_on", _("Give the day it was requested."), "required")
    elif requested_on > organization_today(organization):
        add("requested_on", _("The request day cannot be in the future."), "in_future")
    if errors:
        raise ValidationError(errors)
    return values


@transaction.atomic
def advocacy_record_create(
    *,
    organization: Organization,
    account: Account,
    kind: str,
    actor: User | None,
    contact: Contact | None = None,
    requested_on: date | None = None,
    review_site: str = "",
    referred_company: str = "",
    referral_outcome: str = "",
    notes: str = "",
    link: str = "",
) -> AdvocacyRecord:
    _check(organization, account, contact)
    values = _validate(
        organization=organization,
        account=account,
        values={
            "contact": contact,
            "kind": kind,
            "requested_on": requested_on or organization_today(organization),
            "review_site": review_site,
            "referred_company": referred_company,
            "referral_outcome": referral_outcome,
            "notes": notes,
            "link": link,
        },
    )
    record = AdvocacyRecord.objects.create(
        organization=organization,
        account=account,
        created_by=actor if actor is not None and actor.is_authenticated else None,
        **values,
    )
    audit_record(
        organization=organization,
        actor=actor,
        action="advocacy.create",
        target=record,
        after={"kind": record.kind, "account": account.pk, "status": record.status},
    )
    return record


@transaction.atomic
def advocacy_record_update(
    *, organization: Organization, record: AdvocacyRecord, actor: User | None, **changes: Any
) -> AdvocacyRecord:
    _check(organization, record, changes.get("contact"))
    unknown = set(changes) - set(RECORD_FIELDS)
    if unknown:
        raise TypeError(f"Not editable: {sorted(unknown)}")
    values = {name: changes.get(name, getattr(record, name)) for name in RECORD_FIELDS}
    values = _validate(organization=organization, account=record.account, values=values)
    for step_field in STEP_DATE_FIELD.values():
        step_day = getattr(record, step_field)
        if step_day is not None and step_day < values["requested_on"]:
            raise ValidationError(
                {
                    "requested_on": [
                        ValidationError(
                            _("The request day cannot be after a later step's day."),
                            code="requested_after_step",
                        )
                    ]
                }
            )
    before = {
        name: str(getattr(record, name + "_id" if name == "contact" else name))
        for name in RECORD_FIELDS
    }
    for name, value in values.items():
        setattr(record, name, value)
    record.save()
    after = {
        name: str(getattr(record, name + "_id" if name == "contact" else name))
        for name in RECORD_FIELDS
    }
    if before != after:
        changed = [name for name in RECORD_FIELDS if before[name] != after[name]]
        audit_record(
            organization=organization,
            actor=actor,
            action="advocacy.update",
            target=record,
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
        )
    return record


@transaction.atomic
def advocacy_record_transition(
    *,
    organization: Organization,
    record: AdvocacyRecord,
    to_status: str,
    actor: User | None,
    on: date | None = None,
) -> AdvocacyRecord:
    """Move the record to `to_status` if the transition is allowed; the row is locked so two
    clicks cannot both pass the check."""
    _check(organization, record)
    locked = AdvocacyRecord.objects.select_for_update().get(organization=organization, pk=record.pk)
    allowed = ADVOCACY_TRANSITIONS.get(locked.status, frozenset())
    if to_status not in AdvocacyStatus.values or to_status not in allowed:
        raise ValidationError(
            {
                "status": [
                    ValidationError(
                        _("A record that is %(current)s cannot become %(next)s.")
                        % {
                            "current": AdvocacyStatus(locked.status).label,
                            "next": AdvocacyStatus(to_status).label
                            if to_status in AdvocacyStatus.values
                            else to_status,
                        },
                        code="invalid_transition",
                    )
                ]
            }
        )
    day = on or organization_today(organization)
    if day > organization_today(organization) or day < locked.requested_on:
        raise ValidationError(
            {
                "on": [
                    ValidationError(
                        _("The day must be between the request day and today."),
                        code="invalid_day",
                    )
                ]
            }
        )
    before = locked.status
    locked.status = to_status
    setattr(locked, STEP_DATE_FIELD[AdvocacyStatus(to_status)], day)
    locked.save()
    audit_record(
        organization=organization,
        actor=actor,
        action="advocacy.transition",
        target=locked,
        before={"status": before},
        after={"status": to_status, "on": day.isoformat()},
    )
    record.refresh_from_db()
    return locked
