from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HealthscoreConfig(AppConfig):
    name = "healthscore"
    verbose_name = _("Health scores")

    def seed_demo(self, *, organization, stdout=None) -> None:
        from healthscore.demo import seed_health_demo

        seed_health_demo(organization=organization, stdout=stdout)
