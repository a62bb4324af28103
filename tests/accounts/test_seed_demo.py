from io import StringIO

import phonenumbers
import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Q

from accounts.models import Account, Contact, Stage
from tenancy.models import Membership, Organization, Role, User

ACCOUNTS = 20


def seed(*args: str) -> str:
    stdout = StringIO()
    call_command("seed_demo", *args, stdout=stdout)
    return stdout.getvalue()


def counts(organization, in_scope) -> tuple[int, int]:
    with in_scope(organization):
        return (
            Account.objects.filter(organization=organization).count(),
            Contact.objects.filter(organization=organization).count(),
        )


def test_seed_demo_creates_the_organization_members_accounts_and_contacts(db, in_scope):
    output = seed("--accounts", str(ACCOUNTS))

    organization = Organization.objects.get(slug="demo")
    assert organization.name == "Demo — Nuvem Serviços"
    assert (organization.locale, organization.currency, organization.time_zone) == (
        "pt-br",
        "BRL",
        "America/Sao_Paulo",
    )
    roles = set(Membership.objects.filter(organization=organization).values_list("role", flat=True))
    assert roles == {role.value for role in Role}
    assert Membership.objects.filter(organization=organization, role=Role.OWNER).count() == 1
    owner = User.objects.get(email="owner@demo.jornada.test")
    assert owner.check_password("jornada-demo")

    with in_scope(organization):
        accounts = Account.objects.filter(organization=organization)
        assert accounts.count() == ACCOUNTS
        assert sorted(accounts.values_list("external_id", flat=True)) == [
            f"DEMO-{index:04d}" for index in range(1, ACCOUNTS + 1)
        ]
        contact_count = Contact.objects.filter(organization=organization).count()
        assert ACCOUNTS <= contact_count <= 4 * ACCOUNTS
        per_account = accounts.annotate(
            contacts_total=Count("contacts"),
            primaries=Count("contacts", filter=Q(contacts__is_primary=True)),
        )
        assert {
            (a.contacts_total >= 1, a.contacts_total <= 4, a.primaries) for a in per_account
        } == {(True, True, 1)}
        assert set(
            accounts.exclude(owner=None).values_list("owner__organization_id", flat=True)
        ) == {organization.id}
        assert not accounts.filter(stage=Stage.CHURNED, churned_at=None).exists()
        assert not accounts.exclude(stage=Stage.CHURNED).exclude(churned_at=None).exists()

    assert output.splitlines()[0] == (
        f"Created demo organization “Demo — Nuvem Serviços” (slug demo): "
        f"{ACCOUNTS} accounts, {contact_count} contacts"
    )
    assert "http://127.0.0.1:8000/auth/login/" in output
    assert "owner@demo.jornada.test" in output
    assert "jornada-demo" in output


def test_seed_demo_phones_are_valid_e164_mobiles(db, in_scope):
    seed("--accounts", str(ACCOUNTS))
    organization = Organization.objects.get(slug="demo")

    with in_scope(organization):
        phones = list(
            Contact.objects.filter(organization=organization).values_list("phone", flat=True)
        )

    assert phones
    for phone in phones:
        number = phonenumbers.parse(phone)
        assert phonenumbers.is_valid_number(number), phone
        assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == phone
        assert phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE, phone
        assert phone.startswith("+55")


def test_seed_demo_twice_changes_nothing(db, in_scope):
    seed("--accounts", str(ACCOUNTS))
    organization = Organization.objects.get(slug="demo")
    before = counts(organization, in_scope)
    users_before = User.objects.count()
    memberships_before = Membership.objects.count()

    output = seed("--accounts", str(ACCOUNTS))

    assert counts(organization, in_scope) == before
    assert User.objects.count() == users_before
    assert Membership.objects.count() == memberships_before
    assert Organization.objects.count() == 1
    assert "nothing changed" in output.splitlines()[0]


def test_seed_demo_is_deterministic_per_slug(db, in_scope):
    seed("--accounts", str(ACCOUNTS))
    organization = Organization.objects.get(slug="demo")
    with in_scope(organization):
        first = list(
            Account.objects.filter(organization=organization)
            .order_by("external_id")
            .values_list("external_id", "name", "segment", "industry", "stage")
        )
        Account.objects.filter(organization=organization, external_id="DEMO-0007").delete()

    seed("--accounts", str(ACCOUNTS))

    with in_scope(organization):
        again = list(
            Account.objects.filter(organization=organization)
            .order_by("external_id")
            .values_list("external_id", "name", "segment", "industry", "stage")
        )
    assert again == first


def test_seed_demo_with_another_slug_leaves_the_first_organization_alone(db, in_scope):
    seed("--accounts", str(ACCOUNTS))
    demo = Organization.objects.get(slug="demo")
    demo_counts = counts(demo, in_scope)

    seed("--slug", "acme-labs", "--accounts", "5")

    other = Organization.objects.get(slug="acme-labs")
    assert other.name == "Demo — Acme Labs"
    assert counts(demo, in_scope) == demo_counts
    assert counts(other, in_scope)[0] == 5
    assert User.objects.filter(email="owner@acme-labs.jornada.test").exists()
    for organization in (demo, other):
        with in_scope(organization):
            accounts = Account.objects.filter(organization=organization)
            contacts = Contact.objects.filter(organization=organization)
            assert not contacts.exclude(account__organization=organization).exists()
            assert (
                not accounts.exclude(owner=None).exclude(owner__organization=organization).exists()
            )


def test_seed_demo_refuses_an_organization_it_did_not_create(org):
    with pytest.raises(CommandError, match="was not created by seed_demo"):
        seed("--slug", org.slug, "--accounts", "1")

    assert not User.objects.filter(email__endswith="@acme.jornada.test").exists()


@pytest.mark.parametrize("slug", ["Bad_Slug", "-demo", "a" * 51])
def test_seed_demo_rejects_slugs_that_are_not_mail_domains(db, slug):
    with pytest.raises(CommandError, match="Invalid slug"):
        seed(f"--slug={slug}")

    assert not Organization.objects.exists()
