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
    # Due ScheduledActions (follow-ups, reminders) are claimed and run within ~15 s of due_at.
    "scheduled-actions-dispatch": {
        "task": "tenancy.tasks.scheduled_actions_dispatch_task",
        "schedule": 15.0,
        "options": {"expires": 14},
    },
    # ScheduledActions on a dead worker (lease expired) or lost on the way are retried.
    "scheduled-actions-reap": {
        "task": "tenancy.tasks.scheduled_actions_reap_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Recompute health scores of accounts with new events: a score follows an event within 60 s.
    "health-dirty-sweep": {
        "task": "healthscore.tasks.health_dirty_sweep_task",
        "schedule": 15.0,
        "options": {"expires": 14},
    },
    # Send due outbound messages (outbox) and expire stale send leases, per organization.
    "outreach-dispatch": {
        "task": "outreach.tasks.outbound_messages_dispatch_sweep_task",
        "schedule": 15.0,
        "options": {"expires": 14},
    },
    # Full health recompute of every organization at night (windows move with the calendar).
    "health-full-recompute": {
        "task": "healthscore.tasks.health_full_recompute_sweep_task",
        "schedule": crontab(hour=3, minute=23),
        "options": {"expires": 60 * 60},
    },
    # Re-queue health-history rebuilds whose task was lost or whose worker died mid-way.
    "health-history-reap": {
        "task": "healthscore.tasks.health_history_reap_sweep_task",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
    # Daily: open renewal opportunities for contracts entering the window; refresh ARR columns.
    "renewals-daily": {
        "task": "renewals.tasks.renewals_daily_sweep_task",
        "schedule": crontab(hour=4, minute=11),
        "options": {"expires": 60 * 60},
    },
    # Daily, after renewals and expansions: lifecycle stage rules for every account (set-based).
    "lifecycle-stages-daily": {
        "task": "lifecycle.tasks_stages.stages_daily_sweep_task",
        "schedule": crontab(hour=4, minute=53),
        "options": {"expires": 60 * 60},
    },
    # Daily, after the nightly health recompute: open expansions for green accounts' triggers.
    "expansion-triggers": {
        "task": "healthscore.tasks.expansion_triggers_sweep_task",
        "schedule": crontab(hour=4, minute=37),
        "options": {"expires": 60 * 60},
    },
    # Daily, after the nightly health recompute: bound success-plan objectives read the rollups.
    "objectives-bound-refresh": {
        "task": "lifecycle.tasks_records.objectives_bound_refresh_sweep_task",
        "schedule": crontab(hour=5, minute=7),
        "options": {"expires": 60 * 60},
    },
    # Daily, mid-morning in Brazil (13:19 UTC): the periodic relationship survey's due contacts.
    "survey-periodic-send": {
        "task": "lifecycle.tasks_surveys.survey_periodic_sweep_task",
        "schedule": crontab(hour=13, minute=19),
        "options": {"expires": 60 * 60},
    },
}
