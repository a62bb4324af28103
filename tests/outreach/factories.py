import factory
from django.utils import timezone

from accounts.models import Consent
from outreach.models import (
    Channel,
    InboundMessage,
    MessageStatus,
    MessageTemplate,
    OutboundMessage,
    OutreachSettings,
)
from tests.accounts.factories import AccountFactory, ContactFactory
from tests.tenancy.factories import OrganizationFactory, ScopedFactory


class OutreachSettingsFactory(ScopedFactory):
    class Meta:
        model = OutreachSettings

    organization = factory.SubFactory(OrganizationFactory)
    whatsapp_enabled = True
    whatsapp_phone_number_id = "1029384756"
    whatsapp_access_token = "test-access-token"
    whatsapp_app_secret = "test-app-secret"
    whatsapp_verify_token = "test-verify-token"


class MessageTemplateFactory(ScopedFactory):
    class Meta:
        model = MessageTemplate

    organization = factory.SubFactory(OrganizationFactory)
    key = "followup.welcome"
    locale = "en"
    subject = "Welcome, {contact_name}"
    body = "Hello {contact_name}, welcome to {organization_name}. Leak-marker-template."


class OutboundMessageFactory(ScopedFactory):
    class Meta:
        model = OutboundMessage

    organization = factory.SubFactory(OrganizationFactory)
    account = factory.SubFactory(
        AccountFactory, organization=factory.SelfAttribute("..organization")
    )
    contact = factory.SubFactory(
        ContactFactory,
        account=factory.SelfAttribute("..account"),
        whatsapp_consent=Consent.OPTED_IN,
        email_consent=Consent.OPTED_IN,
    )
    channel = Channel.EMAIL
    status = MessageStatus.QUEUED
    template_key = "followup.welcome"
    locale = "en"
    to_address = factory.SelfAttribute("contact.email")
    subject = "Welcome"
    body = "Hello there. Leak-marker-message."
    dedupe_key = factory.Sequence(lambda n: f"test:{n}")
    source = "test"
    next_attempt_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        # A message built for a given account belongs to that account's organization.
        kwargs["organization"] = kwargs["account"].organization
        return kwargs


class InboundMessageFactory(ScopedFactory):
    class Meta:
        model = InboundMessage

    contact = factory.SubFactory(ContactFactory)
    organization = factory.SelfAttribute("contact.organization")
    account = factory.SelfAttribute("contact.account")
    from_address = factory.LazyAttribute(lambda inbound: inbound.contact.phone.lstrip("+"))
    provider_message_id = factory.Sequence(lambda n: f"wamid.IN{n}")
    body = "Hi! Leak-marker-inbound."
    received_at = factory.LazyFunction(timezone.now)
