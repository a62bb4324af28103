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
    # Import jobs left queued (broker down) or on a dead worker are enqueued again.
    "import-jobs-requeue": {
        "task": "accounts.tasks.import_jobs_requeue_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Finished imports and their reports are forgotten after 30 days.
    "import-jobs-purge": {
        "task": "accounts.tasks.import_jobs_purge_task",
        "schedule": crontab(hour=3, minute=41),
        "options": {"expires": 60 * 60},
    },
    # Invitations whose email was never enqueued or got lost are sent again.
    "invitations-send-pending": {
        "task": "tenancy.tasks.invitations_send_pending_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
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
    # Recompute health scores of accounts with new events: a score follows an event within 60 s.
    "health-dirty-sweep": {
        "task": "healthscore.tasks.health_dirty_sweep_task",
        "schedule": 15.0,
        "options": {"expires": 14},
    },
    # Full health recompute of every organization at night (windows move with the calendar).
    "health-full-recompute": {
        "task": "healthscore.tasks.health_full_recompute_sweep_task",
        "schedule": crontab(hour=3, minute=23),
        "options": {"expires": 60 * 60},
    },
    # Daily: open renewal opportunities for contracts entering the window; refresh ARR columns.
    "renewals-daily": {
        "task": "renewals.tasks.renewals_daily_sweep_task",
        "schedule": crontab(hour=4, minute=11),
        "options": {"expires": 60 * 60},
    },
    # Daily, after the nightly health recompute: open expansions for green accounts' triggers.
    "expansion-triggers": {
        "task": "healthscore.tasks.expansion_triggers_sweep_task",
        "schedule": crontab(hour=4, minute=37),
        "options": {"expires": 60 * 60},
    },
}
