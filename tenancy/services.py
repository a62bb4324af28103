"""Writes of the tenancy app: organizations, members, invitations, API keys, audit.

Every function is keyword-only, takes the organization explicitly and runs in one
transaction; objects handed in are checked to belong to that organization.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from tenancy.models import (
    ApiKey,
    AuditEvent,
    Invitation,
    Membership,
    Organization,
    Role,
    User,
)
from tenancy.tokens import token_hash, token_new


def _ensure_same_organization(organization: Organization, *objects: Any) -> None:
    for obj in objects:
        if obj is not None and obj.organization_id != organization.id:
            raise PermissionDenied("Object belongs to another organization.")


def audit_record(
    *,
    organization: Organization,
    actor: User | None,
    action: str,
    target: Any,
    before: dict | None = None,
    after: dict | None = None,
    api_key: ApiKey | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        organization=organization,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_api_key=api_key,
        action=action,
        target_type=target._meta.model_name,
        target_id=str(target.pk),
        target_label=str(target)[:200],
        before=before or {},
        after=after or {},
    )


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "org"
    slug = base
    while Organization.objects.filter(slug=slug).exists():
        slug = f"{base}-{secrets.token_hex(2)}"
    return slug


@transaction.atomic
def organization_create(
    *,
    name: str,
    owner: User,
    slug: str | None = None,
    time_zone: str = "America/Sao_Paulo",
    currency: str = "BRL",
    locale: str = Organization.Locale.PT_BR,
) -> Organization:
    organization = Organization.objects.create(
        name=name.strip(),
        slug=slug or _unique_slug(name),
        time_zone=time_zone,
        currency=currency.upper(),
        locale=locale,
    )
    Membership.objects.create(organization=organization, user=owner, role=Role.OWNER)
    return organization


@transaction.atomic
def organization_update(*, organization: Organization, actor: User, **fields: Any) -> Organization:
    allowed = {"name", "time_zone", "currency", "locale"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"Unknown fields: {sorted(unknown)}")
    before = {key: getattr(organization, key) for key in fields}
    for key, value in fields.items():
        setattr(organization, key, value)
    organization.full_clean()
    organization.save(update_fields=list(fields))
    audit_record(
        organization=organization,
        actor=actor,
        action="organization.updated",
        target=organization,
        before=before,
        after=fields,
    )
    return organization


def _ensure_actor_may_touch_owner(organization: Organization, actor: User, message: str) -> None:
    """Granting, taking away or removing the owner role is for owners only."""
    actor_role = (
        Membership.objects.filter(organization=organization, user=actor)
        .values_list("role", flat=True)
        .first()
    )
    if actor_role != Role.OWNER:
        raise ValidationError(message, code="owner_only")


def _owner_count(organization: Organization) -> int:
    return Membership.objects.filter(organization=organization, role=Role.OWNER).count()


@transaction.atomic
def membership_change_role(
    *, organization: Organization, membership: Membership, role: str, actor: User
) -> Membership:
    if membership.organization_id != organization.id:
        raise PermissionDenied("Membership belongs to another organization.")
    role = Role(role)
    if Role.OWNER in (role, membership.role):
        _ensure_actor_may_touch_owner(
            organization, actor, _("Only an owner can grant or take away the owner role.")
        )
    if membership.role == Role.OWNER and role != Role.OWNER and _owner_count(organization) == 1:
        raise ValidationError(_("An organization needs at least one owner."), code="last_owner")
    before = {"role": membership.role}
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        organization=organization,
        actor=actor,
        action="member.role_changed",
        target=membership,
        before=before,
        after={"role": role.value},
    )
    return membership


@transaction.atomic
def membership_remove(*, organization: Organization, membership: Membership, actor: User) -> None:
    if membership.organization_id != organization.id:
        raise PermissionDenied("Membership belongs to another organization.")
    if membership.role == Role.OWNER:
        _ensure_actor_may_touch_owner(organization, actor, _("Only an owner can remove an owner."))
    if membership.role == Role.OWNER and _owner_count(organization) == 1:
        raise ValidationError(_("An organization needs at least one owner."), code="last_owner")
    audit_record(
        organization=organization,
        actor=actor,
        action="member.removed",
        target=membership,
        before={"email": membership.user.email, "role": membership.role},
    )
    membership.delete()


@transaction.atomic
def invitation_create(
    *, organization: Organization, email: str, role: str, actor: User
) -> Invitation:
    """Record the invitation; the email (and its link's token) is made by `invitation_send`,
    so no secret travels through the broker."""
    email = email.strip().lower()
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise ValidationError(
            _("%(email)s is already a member.") % {"email": email}, code="member_exists"
        )
    # A new invitation replaces an open one to the same address.
    Invitation.objects.filter(
        organization=organization,
        email__iexact=email,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    ).update(revoked_at=timezone.now())
    _unusable_token, placeholder_hash = token_new()  # replaced when the email is sent
    invitation = Invitation.objects.create(
        organization=organization,
        email=email,
        role=Role(role),
        token_hash=placeholder_hash,
        invited_by=actor,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_TTL_DAYS),
    )
    audit_record(
        organization=organization,
        actor=actor,
        action="invitation.created",
        target=invitation,
        after={"email": email, "role": invitation.role},
    )
    from tenancy.jobs import enqueue_on_commit
    from tenancy.tasks import invitation_send_task

    enqueue_on_commit(
        invitation_send_task, organization_id=organization.id, invitation_id=invitation.id
    )
    return invitation


@transaction.atomic
def invitation_send(*, organization: Organization, invitation_id: int) -> bool:
    """Email the invitation once, with a fresh link. False when already sent or closed.

    The row is claimed with SELECT ... FOR UPDATE SKIP LOCKED and the new token's hash and
    `sent_at` are written in the same transaction as the send, so a redelivered task finds it
    sent and does nothing. The window: a worker killed after the SMTP server accepted the mail
    but before commit sends it again on redelivery (at least once at the provider boundary);
    only the last email's link then works.
    """
    from django.core.mail import send_mail
    from django.template.loader import render_to_string
    from django.utils import translation

    invitation = (
        Invitation.objects.select_for_update(skip_locked=True)
        .filter(organization=organization, pk=invitation_id, sent_at__isnull=True)
        .first()
    )
    if invitation is None or not invitation.is_open:
        return False
    token, invitation.token_hash = token_new()
    with translation.override(organization.locale):
        context = {
            "organization": organization,
            "invitation": invitation,
            "accept_url": f"{settings.SITE_URL}/invitations/{token}/",
        }
        send_mail(
            subject=render_to_string("tenancy/email/invitation_subject.txt", context).strip(),
            message=render_to_string("tenancy/email/invitation_body.txt", context),
            from_email=None,
            recipient_list=[invitation.email],
        )
    invitation.sent_at = timezone.now()
    invitation.save(update_fields=["sent_at", "token_hash"])
    return True


@transaction.atomic
def invitation_revoke(*, organization: Organization, invitation: Invitation, actor: User) -> None:
    _ensure_same_organization(organization, invitation)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(
        organization=organization, actor=actor, action="invitation.revoked", target=invitation
    )


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Turn an open invitation into a membership for `user` (whose email must match)."""
    organization = invitation.organization
    locked = Invitation.objects.select_for_update().get(organization=organization, pk=invitation.pk)
    if not locked.is_open:
        raise ValidationError(_("This invitation is no longer valid."), code="invitation_closed")
    if user.email.lower() != locked.email.lower():
        raise ValidationError(
            _("This invitation was sent to %(email)s. Sign in with that address to accept it.")
            % {"email": locked.email},
            code="invitation_wrong_user",
        )
    membership, created = Membership.objects.get_or_create(
        organization=organization, user=user, defaults={"role": locked.role}
    )
    locked.accepted_at = timezone.now()
    locked.accepted_by = user
    locked.save(update_fields=["accepted_at", "accepted_by"])
    if created:
        audit_record(
            organization=organization,
            actor=user,
            action="member.joined",
            target=membership,
            after={"email": user.email, "role": membership.role},
        )
    return membership


@dataclass(frozen=True)
class IssuedApiKey:
    api_key: ApiKey
    key: str


@transaction.atomic
def api_key_create(
    *, organization: Organization, name: str, scope: str, actor: User | None
) -> IssuedApiKey:
    """Create a key `jor_<prefix>_<secret>`; the clear key is returned once and never stored."""
    for _attempt in range(5):
        prefix = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        key = f"jor_{prefix}_{secret}"
        try:
            with transaction.atomic():
                api_key = ApiKey.objects.create(
                    organization=organization,
                    name=name.strip(),
                    prefix=prefix,
                    key_hash=token_hash(key),
                    scope=ApiKey.Scope(scope),
                    created_by=actor,
                )
            break
        except IntegrityError:  # pragma: no cover - a 48-bit prefix collision
            continue
    else:  # pragma: no cover
        raise RuntimeError("Could not allocate a unique API key prefix.")
    audit_record(
        organization=organization,
        actor=actor,
        action="api_key.created",
        target=api_key,
        after={"name": api_key.name, "scope": api_key.scope, "prefix": prefix},
    )
    return IssuedApiKey(api_key=api_key, key=key)


@transaction.atomic
def api_key_revoke(*, organization: Organization, api_key: ApiKey, actor: User) -> ApiKey:
    _ensure_same_organization(organization, api_key)
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        audit_record(
            organization=organization,
            actor=actor,
            action="api_key.revoked",
            target=api_key,
            before={"revoked": False},
            after={"revoked": True},
        )
    return api_key


def api_key_touch(*, api_key: ApiKey) -> None:
    """Record use, at most once a minute per key (a single UPDATE, no read)."""
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > timedelta(minutes=1):
        ApiKey.objects.filter(organization_id=api_key.organization_id, pk=api_key.pk).update(
            last_used_at=now
        )
        api_key.last_used_at = now
