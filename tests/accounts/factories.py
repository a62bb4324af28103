import factory

from accounts.models import Account, Contact, ImportJob, ImportKind, Segment, Stage
from tests.tenancy.factories import MembershipFactory, OrganizationFactory, ScopedFactory


class AccountFactory(ScopedFactory):
    class Meta:
        model = Account

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Faker("company")
    external_id = factory.Sequence(lambda n: f"ACC-{n:05d}")
    owner = factory.SubFactory(
        MembershipFactory, organization=factory.SelfAttribute("..organization")
    )
    segment = Segment.SMB
    industry = "Software"
    stage = Stage.ONBOARDING


class ContactFactory(ScopedFactory):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    organization = factory.SelfAttribute("account.organization")
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"contact{n}@customer.example")
    phone = "+5511987654321"
    role = Contact.ContactRole.CHAMPION
    locale = Contact.Locale.PT_BR


class ImportJobFactory(ScopedFactory):
    """A queued accounts import of a two-row file, uploaded by a member of the organization."""

    class Meta:
        model = ImportJob

    organization = factory.SubFactory(OrganizationFactory)
    kind = ImportKind.ACCOUNTS
    file_name = factory.Sequence(lambda n: f"accounts-{n}.csv")
    content = b"external_id,name\nACC-1,Acme\nACC-2,Globex\n"
    language = "en"
    rows_total = 2
    created_by = factory.LazyAttribute(
        lambda job: MembershipFactory(organization=job.organization).user
    )
