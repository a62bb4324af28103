"""Helpers shared by the renewals services: the organization's today, the ownership check,
and the "set one field, save, audit the change" step."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model

from tenancy.models import Organization, User
from tenancy.services import audit_record


def _check(organization: Organization, *objects: Any) -> None:
    for obj in objects:
        if obj is not None and obj.organization_id != organization.id:
            raise PermissionDenied("Object belongs to another organization.")


def _set_and_audit(
    *,
    organization: Organization,
    actor: User | None,
    obj: Model,
    field: str,
    value: Any,
    action: str,
    update_fields: list[str] | None = None,
) -> None:
    """Set `obj.field = value` and save; audit `action` with before/after if the value changed."""
    before = getattr(obj, field)
    setattr(obj, field, value)
    obj.save(update_fields=update_fields)
    if before != value:
        audit_record(
            organization=organization,
            actor=actor,
            action=action,
            target=obj,
            before={field: before},
            after={field: value},
        )


def _send_on_commit(signal: Any, organization: Organization, **kwargs: Any) -> None:
    """Announce a change to higher apps once the transaction commits (DESIGN.md: cross-app
    news); a failing receiver is logged and never fails the write that caused it."""
    transaction.on_commit(
        lambda: signal.send(sender="renewals", organization=organization, **kwargs), robust=True
    )
