import factory

from accounts.models import Account, Contact, Segment, Stage
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
