"""A history rebuild that stopped (lost enqueue, worker killed) is re-queued by the reaper."""

from datetime import timedelta

from django.utils import timezone

from healthscore.models import HistoryRecompute
from healthscore.tasks import health_history_reap_sweep_task


def job(org, *, status, heartbeat_minutes_ago=None, created_minutes_ago=0, attempts=0):
    now = timezone.now()
    return HistoryRecompute.objects.create(
        organization=org,
        model_version=0,  # the default model: the re-run finds it still active and rebuilds
        status=status,
        created_at=now - timedelta(minutes=created_minutes_ago),
        heartbeat_at=None
        if heartbeat_minutes_ago is None
        else now - timedelta(minutes=heartbeat_minutes_ago),
        attempts=attempts,
    )


def test_a_rebuild_whose_worker_died_is_run_again(
    org, in_scope, django_capture_on_commit_callbacks
):
    # Given a job running without a heartbeat for 11 minutes (the worker died)
    with in_scope(org):
        stuck = job(org, status="running", heartbeat_minutes_ago=11, attempts=1)

    # When the beat's sweep runs (tasks are eager in tests)
    with django_capture_on_commit_callbacks(execute=True):
        assert health_history_reap_sweep_task() == 1

    # Then the job was re-queued, claimed again and finished
    with in_scope(org):
        stuck.refresh_from_db()
        assert (stuck.status, stuck.attempts) == ("done", 2)


def test_a_lost_enqueue_is_recovered_and_live_jobs_are_left_alone(
    org, other_org, in_scope, django_capture_on_commit_callbacks
):
    # Given a job queued 15 minutes ago that never ran, and one running with a fresh heartbeat
    with in_scope(org):
        lost = job(org, status="queued", created_minutes_ago=15)
    with in_scope(other_org):
        live = job(other_org, status="running", heartbeat_minutes_ago=2, attempts=1)

    with django_capture_on_commit_callbacks(execute=True):
        assert health_history_reap_sweep_task() == 1

    with in_scope(org):
        lost.refresh_from_db()
        assert lost.status == "done"
    with in_scope(other_org):
        live.refresh_from_db()
        assert (live.status, live.attempts) == ("running", 1)


def test_a_job_is_failed_after_too_many_attempts(org, in_scope, django_capture_on_commit_callbacks):
    with in_scope(org):
        doomed = job(
            org, status="running", heartbeat_minutes_ago=30, attempts=HistoryRecompute.MAX_ATTEMPTS
        )

    with django_capture_on_commit_callbacks(execute=True):
        health_history_reap_sweep_task()

    with in_scope(org):
        doomed.refresh_from_db()
        assert doomed.status == "failed"


def test_the_settings_page_shows_the_rebuild_progress(org, in_scope, member, client_for):
    with in_scope(org):
        running = job(org, status="running", heartbeat_minutes_ago=0, attempts=1)
        HistoryRecompute.objects.filter(pk=running.pk).update(days_total=120, days_done=45)
    admin = client_for(member("admin"))

    page = admin.get("/health/model/")
    fragment = admin.get("/health/model/history/")

    assert "45 of 120 days" in page.content.decode()
    assert 'hx-trigger="every 3s"' in fragment.content.decode()
    assert client_for(member("csm")).get("/health/model/history/").status_code == 403
