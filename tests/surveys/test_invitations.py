import re

import pytest
from django.core.exceptions import ValidationError

from outreach.models import OutboundMessage
from surveys import services
from surveys.models import SurveyInvitation
from tenancy.models import AuditEvent
from tenancy.tokens import token_hash
from tests.accounts.factories import AccountFactory, ContactFactory
from tests.surveys.factories import SurveyFactory, SurveyResponseFactory

LINK = re.compile(r"http://testserver/s/([A-Za-z0-9_-]+)/")


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "http://testserver"


def _contact(org, **kwargs):
    values = {"email_consent": "opted_in", "whatsapp_consent": "unknown", "locale": "en"}
    return ContactFactory(account__organization=org, **{**values, **kwargs})


def test_send_queues_one_email_with_the_link_and_stores_only_the_hash(org, member, in_scope):
    actor = member("csm").user
    with in_scope(org):
        survey = SurveyFactory(organization=org)
        contact = _contact(org, name="Ana Souza", email="ana@customer.example")

        sent = services.survey_invitation_send(
            organization=org, survey=survey, contact=contact, actor=actor
        )

        invitation = sent.invitation
        message = OutboundMessage.objects.get()
        assert (sent.created, sent.status) == (True, "queued")
        assert message.dedupe_key == f"survey-invitation:{invitation.id}"
        assert (message.channel, message.to_address, message.template_key) == (
            "email",
            "ana@customer.example",
            "survey.invitation",
        )
        [raw] = LINK.findall(message.body)
        assert len(raw) == 43  # token_urlsafe(32): 256 bits
        assert invitation.token_hash == token_hash(raw)
        assert raw not in str(SurveyInvitation.objects.values().get())
        assert (invitation.channel, invitation.outbound_message_id) == ("email", message.id)
        assert invitation.sent_at is not None
        assert (invitation.expires_at - invitation.created_at).days == 29 or (
            invitation.expires_at - invitation.created_at
        ).days == 30
        assert message.body.startswith("Hi Ana Souza")
        assert AuditEvent.objects.filter(action="survey_invitation.sent").count() == 1


def test_second_send_while_open_sends_nothing(org, in_scope):
    with in_scope(org):
        survey = SurveyFactory(organization=org)
        contact = _contact(org)
        first = services.survey_invitation_send(organization=org, survey=survey, contact=contact)
        again = services.survey_invitation_send(organization=org, survey=survey, contact=contact)

        assert again.created is False
        assert again.invitation.id == first.invitation.id
        assert OutboundMessage.objects.count() == 1
        assert SurveyInvitation.objects.count() == 1


def test_answered_invitation_allows_a_new_one(org, in_scope):
    with in_scope(org):
        survey = SurveyFactory(organization=org)
        contact = _contact(org)
        first = services.survey_invitation_send(organization=org, survey=survey, contact=contact)
        SurveyResponseFactory(
            organization=org,
            survey=survey,
            invitation=first.invitation,
            contact=contact,
            account=contact.account,
        )
        again = services.survey_invitation_send(organization=org, survey=survey, contact=contact)

        assert again.created is True
        assert OutboundMessage.objects.count() == 2


def test_opted_out_contact_gets_a_skipped_message_and_no_sent_at(org, in_scope):
    with in_scope(org):
        survey = SurveyFactory(organization=org)
        contact = _contact(org, email_consent="opted_out")
        sent = services.survey_invitation_send(organization=org, survey=survey, contact=contact)

        assert sent.status == "skipped"
        assert OutboundMessage.objects.get().skip_reason == "opted_out"
        assert (sent.invitation.channel, sent.invitation.sent_at) == ("", None)


def test_send_to_account_invites_only_consenting_contacts_in_their_language(org, in_scope):
    with in_scope(org):
        survey = SurveyFactory(organization=org)
        account = AccountFactory(organization=org)
        _contact(org, account=account, locale="pt-br", name="Bia")
        _contact(org, account=account, locale="en", name="Carl")
        _contact(org, account=account, email_consent="unknown", name="Dora")
        _contact(org, account=account, email_consent="opted_out", name="Eli")

        sent = services.survey_invitations_send_to_account(
            organization=org, survey=survey, account=account
        )

        assert sorted(item.invitation.contact.name for item in sent) == ["Bia", "Carl"]
        bodies = dict(OutboundMessage.objects.values_list("contact__name", "body"))
        assert bodies["Bia"].startswith("Olá, Bia!")
        assert bodies["Carl"].startswith("Hi Carl,")


def test_inactive_survey_cannot_be_sent(org, in_scope):
    with in_scope(org):
        survey = SurveyFactory(organization=org, active=False)
        with pytest.raises(ValidationError) as error:
            services.survey_invitation_send(organization=org, survey=survey, contact=_contact(org))
        assert error.value.code == "survey_inactive"
        assert OutboundMessage.objects.count() == 0
