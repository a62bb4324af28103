"""Enqueueing work after commit without ever failing the request that caused it.

`enqueue_on_commit` publishes a task once the transaction commits. If the broker is down at
that moment the publish is logged and dropped: the state that asked for the work is already
committed, and a beat sweeper finds it (unsent invitations, queued import jobs) and enqueues
it again, so a broker outage delays work instead of losing it or answering 500.
"""

from __future__ import annotations

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_now(task, **kwargs) -> bool:
    try:
        task.delay(**kwargs)
    except Exception:  # kombu OperationalError, ConnectionError, …: the sweeper retries
        logger.exception("could not enqueue %s %s; a sweeper will retry", task.name, kwargs)
        return False
    return True


def enqueue_on_commit(task, **kwargs) -> None:
    transaction.on_commit(lambda: enqueue_now(task, **kwargs))
