"""Reads of the tenancy app.

The two `*_unscoped` selectors are the only places that look at tenant rows before the
organization is known: they find a credential by its secret, and the caller enters that
credential's organization scope right after.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from tenancy.ids import id_parse
from tenancy.models import ApiKey, AuditEvent, Invitation, Membership, Organization, User
from tenancy.tokens import token_hash, token_matches


def membership_list_for_user(*, user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user)
        .select_related("organization")
        .order_by("organization__name")
    )


def membership_get_for_user(*, user: User, organization_id: int | None) -> Membership | None:
    """The user's membership in `organization_id`, else their first one, else None."""
    memberships = membership_list_for_user(user=user)
    if organization_id is not None:
        chosen = memberships.filter(organization_id=organization_id).first()
        if chosen is not None:
            return chosen
    return memberships.first()


def membership_list(*, organization: Organization) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by("user__name", "user__email")
    )


def membership_get(*, organization: Organization, pk: int) -> Membership:
    if id_parse(pk) is None:
        raise Http404
    try:
        return membership_list(organization=organization).get(pk=pk)
    except (Membership.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def api_key_list(*, organization: Organization) -> QuerySet[ApiKey]:
    return (
        ApiKey.objects.filter(organization=organization)
        .select_related("created_by")
        .order_by("revoked_at", "-created_at")
    )


def api_key_get_for_authentication_unscoped(*, raw_key: str) -> ApiKey | None:
    """Find the active key for `raw_key` across organizations (reason: authentication)."""
    parts = raw_key.split("_", 2)
    if len(parts) != 3 or parts[0] != "jor" or len(parts[1]) != 12:
        return None
    candidates = (
        # Audited unscoped read (1 of 2): the key's secret decides the organization; the
        # middleware enters that organization's scope right after.
        ApiKey.objects.with_scopes_disabled()
        .select_related("organization")
        .filter(prefix=parts[1], revoked_at__isnull=True)
    )
    for candidate in candidates:
        if token_matches(raw_key, candidate.key_hash):
            return candidate
    return None


def invitation_get_by_token_unscoped(*, token: str) -> Invitation | None:
    """Find an invitation by its clear token across organizations (reason: accept link)."""
    return (
        # Audited unscoped read (2 of 2): the link's token decides the organization; the
        # middleware's process_view enters that organization's scope right after.
        Invitation.objects.with_scopes_disabled()
        .select_related("organization")
        .filter(token_hash=token_hash(token))
        .first()
    )


def invitation_list_open(*, organization: Organization) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        organization=organization,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).order_by("-created_at")


def audit_event_list(*, organization: Organization) -> QuerySet[AuditEvent]:
    return (
        AuditEvent.objects.filter(organization=organization)
        .select_related("actor", "actor_api_key")
        .order_by("-created_at", "-id")
    )
