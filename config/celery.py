"""Celery application and the one beat schedule (DESIGN.md, Jobs).

Every periodic entry lives here with a one-line comment and an `expires` near its period.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("jornada")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Idempotency keys are honoured for 24 hours; drop older ones hourly.
    "idempotency-records-purge": {
        "task": "tenancy.tasks.idempotency_records_purge_task",
        "schedule": crontab(minute=7),
        "options": {"expires": 50 * 60},
    },
    # Drop invitations that expired more than 30 days ago; hourly is plenty.
    "invitations-purge-expired": {
        "task": "tenancy.tasks.invitations_purge_expired_task",
        "schedule": crontab(minute=17),
        "options": {"expires": 50 * 60},
    },
}
