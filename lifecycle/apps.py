from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LifecycleConfig(AppConfig):
    name = "lifecycle"
    verbose_name = _("Lifecycle")

    def ready(self) -> None:
        # Thin receivers of lower apps' signals (lifecycle/receivers.py).
        from lifecycle import receivers  # noqa: F401

    def seed_demo(self, *, organization, stdout) -> None:
        """Called by `manage.py seed_demo` inside the organization's scope; quiet."""
        from lifecycle.demo_tasks import demo_tasks_seed

        demo_tasks_seed(organization=organization)
        from lifecycle.demo_stages import demo_stages_seed  # stage history (stages)

        demo_stages_seed(organization=organization)
        from lifecycle.demo_records import demo_records_seed  # touchpoints, plans, advocacy

        demo_records_seed(organization=organization)
        from lifecycle.demo_followup import demo_followups_seed  # follow-ups (followup)

        demo_followups_seed(organization=organization)
        from lifecycle.demo_records import demo_health_inputs_seed  # sentiment and outcomes

        demo_health_inputs_seed(organization=organization)
