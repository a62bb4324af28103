"""Enqueueing work after commit without ever failing the request that caused it.

`enqueue_on_commit` publishes a task once the transaction commits. If the broker is down at
that moment the publish is logged and dropped: the state that asked for the work is already
committed, and a beat sweeper finds it (unsent invitations, queued import jobs) and enqueues
it again, so a broker outage delays work instead of losing it or answering 500.
"""

from __future__ import annotations

import logging

from django.db import connection, transaction

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


def organizations_with_rows_unscoped(model, where: str = "", params=()) -> list[int]:
    """Ids of the organizations owning rows of `model` that match `where` (trusted SQL with %s
    placeholders): the one cross-tenant read a beat sweeper makes before fanning out one task
    per organization. Raw SQL on purpose: it reads ids only and never enters a scope."""
    sql = f"SELECT DISTINCT organization_id FROM {model._meta.db_table}"  # noqa: S608
    if where:
        sql += f" WHERE {where}"
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return [row[0] for row in cursor.fetchall()]
