from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys")

    def ready(self) -> None:
        # The invitation message's default wording joins outreach's template registry.
        from surveys.messages import message_templates_register

        message_templates_register()

    def seed_demo(self, *, organization, stdout) -> None:
        """Called by `manage.py seed_demo` inside the organization's scope (surveys/demo.py)."""
        from surveys.demo import demo_surveys_seed

        demo_surveys_seed(organization=organization)
