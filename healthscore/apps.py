from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HealthscoreConfig(AppConfig):
    name = "healthscore"
    verbose_name = _("Health scores")
