from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    name = "outreach"
    verbose_name = _("Outreach")

    def seed_demo(self, *, organization, stdout) -> None:
        """Called by `manage.py seed_demo` inside the organization's scope (outreach/demo.py)."""
        from outreach.demo import demo_outreach_seed

        demo_outreach_seed(organization=organization)
