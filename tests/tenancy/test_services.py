import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django_scopes import ScopeError

from accounts.models import Account
from tenancy import services
from tenancy.models import ApiKey, AuditEvent, Invitation, Membership, Role
from tenancy.selectors import (
    api_key_get_for_authentication_unscoped,
    invitation_get_by_token_unscoped,
)
from tests.tenancy.factories import MembershipFactory, UserFactory


def test_organization_create_makes_the_user_owner(db):
    user = UserFactory()

    organization = services.organization_create(name="Nuvem Serviços Ltda", owner=user)

    assert organization.slug == "nuvem-servicos-ltda"
    assert Membership.objects.get(organization=organization).role == Role.OWNER


def test_slugs_stay_unique(db):
    first = services.organization_create(name="Acme", owner=UserFactory())
    second = services.organization_create(name="Acme", owner=UserFactory())
    assert first.slug == "acme"
    assert second.slug.startswith("acme-")


def test_tenant_queries_outside_a_scope_fail_closed(org):
    with pytest.raises(ScopeError):
        Account.objects.count()


def test_last_owner_cannot_be_demoted_or_removed(org, member, in_scope):
    owner = member(Role.OWNER)
    with in_scope(org), pytest.raises(ValidationError) as demote:
        services.membership_change_role(
            organization=org, membership=owner, role=Role.ADMIN, actor=owner.user
        )
    assert demote.value.code == "last_owner"
    with in_scope(org), pytest.raises(ValidationError):
        services.membership_remove(organization=org, membership=owner, actor=owner.user)


def test_role_change_is_audited_with_before_and_after(org, member, in_scope):
    admin = member(Role.ADMIN)
    csm = member(Role.CSM)

    with in_scope(org):
        services.membership_change_role(
            organization=org, membership=csm, role=Role.MANAGER, actor=admin.user
        )
        event = AuditEvent.objects.get(action="member.role_changed")

    assert (event.before, event.after, event.actor) == (
        {"role": "csm"},
        {"role": "manager"},
        admin.user,
    )


def test_membership_of_another_org_is_refused(org, other_org, member, in_scope):
    admin = member(Role.ADMIN)
    foreign = member(Role.CSM, organization=other_org)
    with in_scope(org), pytest.raises(Exception, match="another organization"):
        services.membership_change_role(
            organization=org, membership=foreign, role=Role.ADMIN, actor=admin.user
        )


def test_invitation_is_emailed_once_with_a_working_link(
    org, member, in_scope, django_capture_on_commit_callbacks
):
    admin = member(Role.ADMIN)

    with in_scope(org), django_capture_on_commit_callbacks(execute=True):
        invitation = services.invitation_create(
            organization=org, email="New@Person.com", role=Role.CSM, actor=admin.user
        )

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@person.com"]
    token = _link_token(mail.outbox[0].body)
    assert invitation_get_by_token_unscoped(token=token).pk == invitation.pk
    # a redelivered task does not send it again
    with in_scope(org):
        assert services.invitation_send(organization=org, invitation_id=invitation.pk) is False
    assert len(mail.outbox) == 1


def _link_token(body: str) -> str:
    return re.search(r"/invitations/([\w-]+)/", body).group(1)


def test_unsent_invitations_are_picked_up_by_the_sweeper(org, member, in_scope):
    from datetime import timedelta

    from django.utils import timezone

    from tenancy.tasks import invitations_send_pending_task

    admin = member(Role.ADMIN)
    with in_scope(org):  # created while the broker was down: nothing was enqueued
        invitation = services.invitation_create(
            organization=org, email="late@x.com", role=Role.CSM, actor=admin.user
        )
        Invitation.objects.filter(pk=invitation.pk).update(
            created_at=timezone.now() - timedelta(minutes=2)
        )

    assert invitations_send_pending_task() == 1
    assert invitations_send_pending_task() == 0  # sent: nothing left to do
    assert [m.to for m in mail.outbox] == [["late@x.com"]]


def test_reinviting_replaces_the_open_invitation(org, member, in_scope):
    admin = member(Role.ADMIN)
    with in_scope(org):
        first = services.invitation_create(
            organization=org, email="x@y.com", role=Role.CSM, actor=admin.user
        )
        services.invitation_create(
            organization=org, email="X@y.com", role=Role.MANAGER, actor=admin.user
        )
        first.refresh_from_db()
        open_roles = list(
            Invitation.objects.filter(revoked_at__isnull=True).values_list("role", flat=True)
        )
    assert first.revoked_at is not None
    assert open_roles == ["manager"]


def test_inviting_an_existing_member_is_refused(org, member, in_scope):
    admin = member(Role.ADMIN)
    existing = member(Role.CSM)
    with in_scope(org), pytest.raises(ValidationError) as error:
        services.invitation_create(
            organization=org, email=existing.user.email, role=Role.CSM, actor=admin.user
        )
    assert error.value.code == "member_exists"


def test_accepting_requires_the_invited_address(
    org, member, in_scope, django_capture_on_commit_callbacks
):
    admin = member(Role.ADMIN)
    with in_scope(org), django_capture_on_commit_callbacks(execute=True):
        services.invitation_create(
            organization=org, email="right@x.com", role=Role.MANAGER, actor=admin.user
        )
    invitation = invitation_get_by_token_unscoped(token=_link_token(mail.outbox[0].body))

    with in_scope(org), pytest.raises(ValidationError) as wrong:
        services.invitation_accept(invitation=invitation, user=UserFactory(email="wrong@x.com"))
    assert wrong.value.code == "invitation_wrong_user"

    with in_scope(org):
        membership = services.invitation_accept(
            invitation=invitation, user=UserFactory(email="right@x.com")
        )
    assert membership.role == Role.MANAGER
    with in_scope(org), pytest.raises(ValidationError):
        services.invitation_accept(invitation=invitation, user=membership.user)


def test_api_key_is_stored_hashed_and_found_by_its_secret(org, in_scope):
    with in_scope(org):
        issued = services.api_key_create(
            organization=org, name="CRM sync", scope="write", actor=None
        )

    stored = issued.api_key
    assert issued.key.startswith(f"jor_{stored.prefix}_")
    assert issued.key not in (stored.key_hash, stored.prefix)
    assert api_key_get_for_authentication_unscoped(raw_key=issued.key) == stored
    assert api_key_get_for_authentication_unscoped(raw_key=issued.key + "x") is None
    assert api_key_get_for_authentication_unscoped(raw_key="garbage") is None


def test_revoking_a_key_disables_it_and_is_audited(org, member, in_scope):
    admin = member(Role.ADMIN)
    with in_scope(org):
        issued = services.api_key_create(
            organization=org, name="Old", scope="read", actor=admin.user
        )
        services.api_key_revoke(organization=org, api_key=issued.api_key, actor=admin.user)
        actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert api_key_get_for_authentication_unscoped(raw_key=issued.key) is None
    assert actions == ["api_key.created", "api_key.revoked"]
    assert ApiKey.objects.with_scope(organization=org).get().revoked_at is not None


def test_multiple_memberships_per_user(org, other_org):
    user = UserFactory()
    MembershipFactory(organization=org, user=user, role=Role.CSM)
    MembershipFactory(organization=other_org, user=user, role=Role.VIEWER)
    assert set(
        Membership.objects.filter(user=user).values_list("organization__slug", flat=True)
    ) == {"acme", "other"}


def test_only_an_owner_may_grant_or_remove_the_owner_role(org, member, in_scope):
    owner = member(Role.OWNER)
    admin = member(Role.ADMIN)
    csm = member(Role.CSM)

    with in_scope(org), pytest.raises(ValidationError) as grant:
        services.membership_change_role(
            organization=org, membership=csm, role=Role.OWNER, actor=admin.user
        )
    with in_scope(org), pytest.raises(ValidationError) as remove:
        services.membership_remove(organization=org, membership=owner, actor=admin.user)

    assert (grant.value.code, remove.value.code) == ("owner_only", "owner_only")
    csm.refresh_from_db()
    assert csm.role == Role.CSM
    with in_scope(org):
        services.membership_change_role(
            organization=org, membership=csm, role=Role.OWNER, actor=owner.user
        )
    csm.refresh_from_db()
    assert csm.role == Role.OWNER
