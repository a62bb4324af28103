"""Celery tasks of the lifecycle app, one module per part (Celery discovers this module)."""

from lifecycle.tasks_records import (  # noqa: F401
    objectives_bound_refresh_sweep_task,
    objectives_bound_refresh_task,
)
from lifecycle.tasks_stages import stages_daily_sweep_task, stages_evaluate_task  # noqa: F401
from lifecycle.tasks_surveys import (  # noqa: F401
    survey_periodic_send_task,
    survey_periodic_sweep_task,
)
