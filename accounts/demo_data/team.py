"""The demo team: users, the demo organization and its memberships (control-plane rows only;
needs no scope)."""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import transaction

from tenancy.models import Membership, Organization, Role, User
from tenancy.services import organization_create

DEMO_PASSWORD = "jornada-demo"  # noqa: S105 - published on purpose: demo logins only
DEMO_EMAIL_DOMAIN = "jornada.test"


@dataclass(frozen=True)
class DemoMember:
    role: Role
    local_part: str
    name: str
    # Relative share of the account book; 0 = owns no accounts.
    book_weight: int


DEMO_MEMBERS: tuple[DemoMember, ...] = (
    DemoMember(Role.OWNER, "owner", "Marina Couto", 0),
    DemoMember(Role.ADMIN, "admin", "Rafael Toledo", 0),
    DemoMember(Role.MANAGER, "manager", "Carla Nogueira", 1),
    DemoMember(Role.CSM, "csm", "Lucas Ferreira", 3),
    DemoMember(Role.CSM, "csm2", "Juliana Rocha", 3),
    DemoMember(Role.CSM, "csm3", "Pedro Amaral", 3),
    DemoMember(Role.VIEWER, "viewer", "Sofia Martins", 0),
)


@dataclass(frozen=True)
class DemoLogin:
    role: Role
    email: str


@dataclass(frozen=True)
class DemoTeam:
    organization: Organization
    created: bool
    logins: tuple[DemoLogin, ...]
    # (membership, share of the account book) for everyone who owns accounts.
    book_owners: tuple[tuple[Membership, int], ...]


class NotADemoOrganizationError(Exception):
    """The slug belongs to an organization the demo seed did not create."""


def demo_organization_name(slug: str) -> str:
    if slug == "demo":
        return "Demo — Nuvem Serviços"
    return f"Demo — {slug.replace('-', ' ').title()}"


def demo_email(*, slug: str, local_part: str) -> str:
    return f"{local_part}@{slug}.{DEMO_EMAIL_DOMAIN}"


def _demo_users_ensure(*, slug: str) -> dict[str, User]:
    """The demo users by local part; existing ones are kept as they are (password included)."""
    emails = {
        member.local_part: demo_email(slug=slug, local_part=member.local_part)
        for member in DEMO_MEMBERS
    }
    users = {user.email: user for user in User.objects.filter(email__in=emails.values())}
    missing = [member for member in DEMO_MEMBERS if emails[member.local_part] not in users]
    if missing:
        # One hash for every demo user: the password is published anyway, and each PBKDF2
        # run costs a noticeable fraction of a second.
        password_hash = make_password(DEMO_PASSWORD)
        for member in missing:
            email = emails[member.local_part]
            users[email] = User.objects.create(
                email=email, name=member.name, password=password_hash
            )
            # Verified, so signing in works even with ACCOUNT_EMAIL_VERIFICATION="mandatory".
            EmailAddress.objects.create(user=users[email], email=email, verified=True, primary=True)
    return {local_part: users[email] for local_part, email in emails.items()}


@transaction.atomic
def demo_team_ensure(*, slug: str) -> DemoTeam:
    """The demo organization for `slug` and one user per DEMO_MEMBERS entry; creates what is
    missing. Raises NotADemoOrganizationError when `slug` is taken by a non-demo tenant."""
    users = _demo_users_ensure(slug=slug)
    owner = users[DEMO_MEMBERS[0].local_part]
    organization = Organization.objects.filter(slug=slug).first()
    created = organization is None
    if organization is None:
        organization = organization_create(
            name=demo_organization_name(slug),
            owner=owner,
            slug=slug,
            time_zone="America/Sao_Paulo",
            currency="BRL",
            locale=Organization.Locale.PT_BR,
        )
    elif not Membership.objects.filter(
        organization=organization, user=owner, role=Role.OWNER
    ).exists():
        raise NotADemoOrganizationError(slug)

    book_owners = []
    for member in DEMO_MEMBERS:
        membership, _created = Membership.objects.get_or_create(
            organization=organization,
            user=users[member.local_part],
            defaults={"role": member.role},
        )
        if member.book_weight:
            book_owners.append((membership, member.book_weight))
    return DemoTeam(
        organization=organization,
        created=created,
        logins=tuple(
            DemoLogin(role=member.role, email=users[member.local_part].email)
            for member in DEMO_MEMBERS
        ),
        book_owners=tuple(book_owners),
    )
