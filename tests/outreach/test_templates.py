"""Message templates: the no-selling guard and the variable check, in every write path."""

import pytest
from django.core.exceptions import ValidationError

from outreach.models import MessageTemplate
from outreach.services import message_template_save, outreach_settings_update
from outreach.templating import DEFAULT_TEMPLATES, selling_words_find
from tenancy.models import AuditEvent

CLEAN_PT = "Olá {contact_name}! Estou aqui para ouvir você."
CLEAN_EN = "Hi {contact_name}! I am here to listen."


def _save(org, *, key="followup.welcome", locale="en", body=CLEAN_EN, subject=""):
    return message_template_save(
        organization=org, actor=None, key=key, locale=locale, subject=subject, body=body
    )


@pytest.mark.parametrize(
    ("locale", "body", "offending"),
    [
        ("pt-br", "Temos um desconto para você, {contact_name}.", ["desconto"]),
        ("pt-br", "Confira nossos PREÇOS.", ["preços"]),
        ("pt-br", "Que tal fazer um upgrade?", ["upgrade"]),
        ("pt-br", "Aproveite esta promocao", ["promoção"]),  # accents do not matter
        ("pt-br", "Só R$ 99 por mês", ["R$ 99"]),
        ("pt-br", "Ganhe 10% na renovação", ["10%"]),
        ("pt-br", "Plano premium por tempo limitado", ["plano premium", "por tempo limitado"]),
        ("en", "Upgrade today and save", ["upgrade"]),
        ("en", "Our pricing changed", ["pricing"]),
        ("en", "A special offer for you", ["special offer"]),
        ("en", "Only $99 a month", ["$99"]),
        ("en", "Get 15 % off", ["15 %"]),
        ("en", "Time to upsell", ["upsell"]),
        ("en", "We can discount it", ["discount"]),
    ],
)
def test_selling_words_are_found_per_language(locale, body, offending):
    from outreach.templating import DEFAULT_SELLING_WORDS

    assert selling_words_find(text=body, words=list(DEFAULT_SELLING_WORDS[locale])) == offending


@pytest.mark.parametrize(
    ("locale", "body", "named"),
    [
        ("pt-br", "Olá {contact_name}, temos um desconto de 20% para você.", "“desconto”, “20%”"),
        ("en", "Hi {contact_name}, upgrade now for $49.", "“upgrade”, “$49”"),
    ],
)
def test_followup_template_that_sells_is_refused_naming_the_words(
    org, in_scope, locale, body, named
):
    with in_scope(org), pytest.raises(ValidationError) as error:
        _save(org, locale=locale, body=body)
    with in_scope(org):
        assert MessageTemplate.objects.count() == 0
    [message] = error.value.message_dict["body"]
    assert message == (
        f"A follow-up message must not sell: remove {named}. This contact exists to listen — "
        "no prices, discounts or upgrades."
    )
    assert error.value.error_dict["body"][0].code == "selling_words"


def test_subject_is_checked_too(org, in_scope):
    with in_scope(org), pytest.raises(ValidationError) as error:
        _save(org, subject="Special offer inside")
    assert list(error.value.message_dict) == ["subject"]


def test_other_keys_may_mention_prices(org, in_scope):
    with in_scope(org):
        template = _save(org, key="renewal.reminder", body="Your renewal is $99.")
    assert template.pk is not None


def test_organization_words_extend_the_list(org, in_scope):
    with in_scope(org):
        outreach_settings_update(organization=org, actor=None, selling_words_pt_br="pacote turbo\n")
        with pytest.raises(ValidationError) as error:
            _save(org, locale="pt-br", body="Conheça o Pacote Turbo, {contact_name}!")
        # The English list is not extended
        _save(org, locale="en", body="Meet the pacote turbo, {contact_name}!")
    assert "“pacote turbo”" in error.value.message_dict["body"][0]


def test_accents_and_case_do_not_hide_a_word(org, in_scope):
    with in_scope(org), pytest.raises(ValidationError):
        _save(org, locale="pt-br", body="PRECO especial")


def test_default_templates_pass_the_guard(org, in_scope):
    with in_scope(org):
        for (key, locale), default in DEFAULT_TEMPLATES.items():
            _save(org, key=key, locale=locale, subject=default.subject, body=default.body)
        assert MessageTemplate.objects.count() == len(DEFAULT_TEMPLATES)


def test_unknown_variable_is_refused_naming_it(org, in_scope):
    with in_scope(org), pytest.raises(ValidationError) as error:
        _save(org, body="Hi {contact_name}, your {plan_name} is ready.")
    [message] = error.value.message_dict["body"]
    assert message.startswith("Unknown variables: {plan_name}. This template may use: ")
    assert "{benefits}" in message


def test_save_is_audited_and_replaces_the_row(org, in_scope):
    with in_scope(org):
        _save(org, body="Hi {contact_name}.")
        _save(org, body="Hello {contact_name}.")
        [template] = MessageTemplate.objects.all()
        actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert template.body == "Hello {contact_name}."
    assert actions == ["outreach.template_saved", "outreach.template_saved"]


def test_admin_form_refuses_selling_words(org, in_scope):
    from django.contrib.admin.sites import site

    admin_form = site._registry[MessageTemplate].get_form(request=None)
    form = admin_form(
        data={"organization": org.pk, "key": "followup.welcome", "locale": "en", "body": "Buy now!"}
    )
    with in_scope(org):
        valid = form.is_valid()
    assert not valid
    assert "“buy”" in form.errors["body"][0]
