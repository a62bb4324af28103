from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RenewalsConfig(AppConfig):
    name = "renewals"
    verbose_name = _("Renewals and revenue")

    def seed_demo(self, *, organization, stdout) -> None:
        """Called by `manage.py seed_demo` inside the organization's scope (renewals/demo.py)."""
        from renewals.demo import demo_contracts_seed

        # Quiet: the command's first line is its summary (tests/accounts/test_seed_demo.py).
        demo_contracts_seed(organization=organization)
