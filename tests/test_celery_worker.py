"""A real Celery worker runs a task the application enqueued on the configured broker.

Everything else in the suite calls tasks eagerly (CELERY_TASK_ALWAYS_EAGER under tests). This
smoke test proves the production path end to end: `invitation_create` commits, its on_commit
hook publishes `invitation_send_task` to the broker (filesystem:// in `make test`, Redis in
CI), a worker thread consumes it, enters the tenant scope and sends the email.

The worker runs in a thread of this process, so it needs committed rows (transactional_db) and
sees the same test database (PostgreSQL `test_*`, or SQLite's shared-cache in-memory database).
A filesystem broker is pointed at a private folder so a `make run` worker on the same clone
cannot take the message (and vice versa); any other broker is purged before the worker starts.
"""

import time
from contextlib import contextmanager

import pytest
from django.core import mail
from django_scopes import scope, scopes_disabled

from config.celery import app
from tenancy import services
from tenancy.models import Invitation, Role
from tests.tenancy.factories import MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

TIMEOUT_SECONDS = 20


def _forget_broker_pools():
    """Make the app look its broker pools up again for the current app.conf.

    kombu keeps one global pool per connection (URL + transport options), shared by every app
    in the process; the app only caches a reference. Dropping the references (never closing
    the pools: eager tasks of other tests use them too) is what Celery itself does after fork.
    """
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def _real_broker(tmp_path):
    """Publish for real (not eagerly); a filesystem broker gets a private folder."""
    saved = {
        "task_always_eager": app.conf.task_always_eager,
        "broker_transport_options": app.conf.broker_transport_options,
        "worker_hijack_root_logger": app.conf.worker_hijack_root_logger,
    }
    app.conf.task_always_eager = False
    app.conf.worker_hijack_root_logger = False  # leave pytest's and Django's log handlers alone
    if app.conf.broker_url.startswith("filesystem://"):
        folder = tmp_path / "broker"
        for sub in ("processed", "control"):
            (folder / sub).mkdir(parents=True)
        app.conf.broker_transport_options = {
            **app.conf.broker_transport_options,
            "data_folder_in": str(folder),
            "data_folder_out": str(folder),
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),
        }
    _forget_broker_pools()
    try:
        with app.connection_for_write() as connection:
            app.control.purge(connection=connection)  # stale messages of earlier runs
        yield
    finally:
        for key, value in saved.items():
            setattr(app.conf, key, value)
        _forget_broker_pools()


def _wait_for(predicate, timeout=TIMEOUT_SECONDS):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def test_worker_sends_invitation_enqueued_on_commit(tmp_path):
    from celery.contrib.testing.worker import start_worker

    org = OrganizationFactory(name="Worker Org", slug="worker-org", locale="en")
    admin = MembershipFactory(organization=org, role=Role.ADMIN).user

    with _real_broker(tmp_path), start_worker(app, pool="solo", perform_ping_check=False):
        with scope(organization=org):
            invitation = services.invitation_create(
                organization=org, email="new.csm@example.com", role="csm", actor=admin
            )
        invitation_id = invitation.pk

        def sent():
            with scopes_disabled():
                return Invitation.objects.filter(pk=invitation_id, sent_at__isnull=False).exists()

        assert _wait_for(sent), "the worker did not process invitation_send_task in time"

    # The worker thread used the test's email backend (locmem): exactly one mail, to the invitee.
    assert [message.to for message in mail.outbox] == [["new.csm@example.com"]]
    assert "Worker Org" in mail.outbox[0].subject
