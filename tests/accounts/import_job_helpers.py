"""Shared by the background-import tests (test_import_jobs_*.py): the lowered threshold,
the uploader and readers of jobs, accounts and audit events."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scope

from accounts.models import Account, ImportJob
from accounts.tasks import import_job_run_task
from tenancy.models import AuditEvent, Role

SYNC_MAX_ROWS = 5


@pytest.fixture(autouse=True)
def _small_threshold(settings):
    settings.ACCOUNT_IMPORT_SYNC_MAX_ROWS = SYNC_MAX_ROWS


@pytest.fixture
def csm(member):
    return member(Role.CSM, user__email="ana@acme.example")


@pytest.fixture
def browser(csm, client_for):
    return client_for(csm)


def _accounts_csv(count: int, *, start: int = 1, name: str = "Customer") -> bytes:
    lines = ["external_id,name"] + [f"ACC-{n:05d},{name} {n}" for n in range(start, start + count)]
    return ("\n".join(lines) + "\n").encode()


def _upload(content: bytes, name: str = "big.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def _account_ids(org) -> list[str]:
    with scope(organization=org):
        return sorted(
            Account.objects.filter(organization=org).values_list("external_id", flat=True)
        )


def _job(org, pk) -> ImportJob:
    with scope(organization=org):
        return ImportJob.objects.get(organization=org, pk=pk)


def _audit_actions(org) -> list[str]:
    with scope(organization=org):
        return list(AuditEvent.objects.filter(organization=org).values_list("action", flat=True))


def _run_task(job) -> None:
    import_job_run_task.delay(organization_id=job.organization_id, job_id=job.pk)
