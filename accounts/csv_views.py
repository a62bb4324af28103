"""CSV import and export pages.

Import (CSM and up, also to read the page): upload a file, get a row-by-row report on the
same page. Any upload - empty, binary, wrong encoding, huge - ends in a report or a form
error, never a 500. A file above ACCOUNT_IMPORT_SYNC_MAX_ROWS rows is imported by a worker
instead: the upload redirects to the job's page, which polls itself (htmx) until the same
report replaces the progress bar. Export (viewer and up): the account list's filters from the
querystring, streamed, rows of the active organization only.
"""

from __future__ import annotations

import base64
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.translation import gettext_lazy as _

from accounts import csv_io, import_jobs, selectors
from accounts.forms import AccountFilterForm
from accounts.models import ImportJob
from accounts.views import account_filters_from_form
from tenancy.models import Organization, Role
from tenancy.views_base import TenantObjectMixin, TenantView

# The rejected rows are offered as a data: link; past this size the page would be too heavy.
REJECTED_DOWNLOAD_MAX_BYTES = 2 * 1024 * 1024
# The report table lists this many rejected lines; the download has them all.
REPORT_MAX_ERRORS = 500


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What the file contains"),
        choices=csv_io.KIND_CHOICES,
        initial=csv_io.KIND_ACCOUNTS,
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label=_("CSV file"),
        allow_empty_file=True,
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
        error_messages={"required": _("Choose a CSV file to import.")},
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > csv_io.MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s; the limit is %(limit)s. Split it into smaller files."),
                code="file_too_large",
                params={
                    "size": filesizeformat(upload.size),
                    "limit": filesizeformat(csv_io.MAX_FILE_BYTES),
                },
            )
        return upload


def _page_context(organization: Organization) -> dict:
    return {
        "formats": [
            {"kind": kind, "label": label, "columns": csv_io.COLUMNS[kind]}
            for kind, label in csv_io.KIND_CHOICES
        ],
        "max_bytes": csv_io.MAX_FILE_BYTES,
        "sync_max_rows": settings.ACCOUNT_IMPORT_SYNC_MAX_ROWS,
        "recent_jobs": selectors.import_job_list_recent(organization=organization),
    }


def _report_context(report: csv_io.ImportReport) -> dict:
    """What templates/accounts/import_report.html needs, for an import done now or a job's."""
    rejected_download = ""
    encoded = report.rejected_csv.encode("utf-8-sig")
    if report.rejected_csv and len(encoded) <= REJECTED_DOWNLOAD_MAX_BYTES:
        rejected_download = base64.b64encode(encoded).decode("ascii")
    return {
        "report": report,
        "shown_errors": report.errors[:REPORT_MAX_ERRORS],
        "hidden_error_count": max(0, report.rejected - REPORT_MAX_ERRORS),
        "rejected_download": rejected_download,
    }


class AccountImportView(TenantView):
    read_role = Role.CSM
    write_role = Role.CSM
    template_name = "accounts/import.html"

    def get(self, request):
        kind = request.GET.get("kind")
        initial = {"kind": kind if kind in csv_io.KINDS else csv_io.KIND_ACCOUNTS}
        context = {"form": ImportForm(initial=initial), **_page_context(self.organization)}
        return render(request, self.template_name, context)

    def post(self, request):
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            context = {"form": form, **_page_context(self.organization)}
            return render(request, self.template_name, context, status=400)
        upload = form.cleaned_data["file"]
        submission = import_jobs.csv_import_submit(
            organization=self.organization,
            actor=request.user,
            kind=form.cleaned_data["kind"],
            file_name=upload.name or "",
            content=upload.read(),
        )
        if submission.job is not None:
            return redirect("import_job_detail", pk=submission.job.pk)
        report = submission.report
        context = {
            "form": ImportForm(initial={"kind": form.cleaned_data["kind"]}),
            **_report_context(report),
            **_page_context(self.organization),
        }
        return render(
            request, self.template_name, context, status=400 if report.file_error else 200
        )


class ImportJobDetailView(TenantObjectMixin, TenantView):
    """A background import: progress while it runs, then its report. An htmx request (the
    page polling itself) gets the status block alone; it stops polling once finished."""

    model = ImportJob
    read_role = Role.CSM
    select_related = ("created_by",)

    def get_queryset(self):
        return super().get_queryset().defer("content")

    def get(self, request, pk):
        job = self.get_object()
        context: dict = {"job": job}
        if job.status == ImportJob.Status.DONE and job.report:
            context.update(_report_context(csv_io.ImportReport.from_json(job.report)))
        template = (
            "accounts/_import_job_status.html" if request.htmx else "accounts/import_job.html"
        )
        response = render(request, template, context)
        # The same URL answers the page and its partial, and the state changes every second.
        patch_vary_headers(response, ("HX-Request",))
        add_never_cache_headers(response)
        return response


class AccountImportSampleView(TenantView):
    read_role = Role.CSM

    def get(self, request, kind):
        if kind not in csv_io.KINDS:
            raise Http404
        content = csv_io.csv_sample(kind=kind, owner_email=request.user.email)
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="jornada-{kind}-sample.csv"'
        return response


class AccountExportView(TenantView):
    def get(self, request):
        kind = request.GET.get("kind") or csv_io.KIND_ACCOUNTS
        if kind not in csv_io.KINDS:
            raise Http404
        filters = account_filters_from_form(AccountFilterForm(request.GET or None))
        rows = csv_io.csv_export_rows(organization=self.organization, kind=kind, filters=filters)
        today = timezone.localdate(timezone=ZoneInfo(self.organization.time_zone))
        filename = f"jornada-{self.organization.slug}-{kind}-{today.isoformat()}.csv"
        response = StreamingHttpResponse(
            csv_io.csv_lines(rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
