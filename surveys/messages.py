"""The invitation message (outreach template `survey.invitation`).

Outreach renders and sends every message from its templates: the default wording in code
(`outreach.templating.DEFAULT_TEMPLATES`), overridable per organization on its Message
templates page. Surveys sit above outreach, so they add their key to that registry when the
app loads instead of outreach knowing about surveys. `{survey_link}` is the absolute public
link with the raw token (it exists only in the rendered message).
"""

from __future__ import annotations

from outreach import templating

TEMPLATE_KEY = "survey.invitation"
VARIABLES = templating.COMMON_VARIABLES | {"survey_link"}

TEMPLATES = {
    (TEMPLATE_KEY, "pt-br"): templating.DefaultTemplate(
        subject="{contact_name}, sua opinião sobre a {organization_name}",
        body=(
            "Olá, {contact_name}! Aqui é {csm_name}, da {organization_name}.\n\n"
            "Você pode nos dizer, em um toque, como está sendo a experiência da "
            "{account_name} com a gente? Leva menos de um minuto:\n{survey_link}\n\n"
            "Obrigado!"
        ),
    ),
    (TEMPLATE_KEY, "en"): templating.DefaultTemplate(
        subject="{contact_name}, your opinion of {organization_name}",
        body=(
            "Hi {contact_name}, this is {csm_name} from {organization_name}.\n\n"
            "Could you tell us, in one tap, how {account_name}'s experience with us is going? "
            "It takes less than a minute:\n{survey_link}\n\n"
            "Thank you!"
        ),
    ),
}


def message_templates_register() -> None:
    templating.KEY_VARIABLES.setdefault(TEMPLATE_KEY, VARIABLES)
    for key, template in TEMPLATES.items():
        templating.DEFAULT_TEMPLATES.setdefault(key, template)
    templating.SAMPLE_CONTEXT.setdefault("survey_link", "https://jornada.example/s/exemplo/")
