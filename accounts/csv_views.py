"""CSV import and export pages.

Import (CSM and up, also to read the page): upload a file, get a row-by-row report on the
same page. Any upload - empty, binary, wrong encoding, huge - ends in a report or a form
error, never a 500. Export (viewer and up): the account list's filters from the
querystring, streamed, rows of the active organization only.
"""

from __future__ import annotations

import base64
from zoneinfo import ZoneInfo

from django import forms
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import csv_io
from accounts.forms import AccountFilterForm
from accounts.views import account_filters_from_form
from tenancy.models import Role
from tenancy.views_base import TenantView

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


def _format_context() -> dict:
    return {
        "formats": [
            {"kind": kind, "label": label, "columns": csv_io.COLUMNS[kind]}
            for kind, label in csv_io.KIND_CHOICES
        ],
        "max_bytes": csv_io.MAX_FILE_BYTES,
    }


class AccountImportView(TenantView):
    read_role = Role.CSM
    write_role = Role.CSM
    template_name = "accounts/import.html"

    def get(self, request):
        kind = request.GET.get("kind")
        initial = {"kind": kind if kind in csv_io.KINDS else csv_io.KIND_ACCOUNTS}
        context = {"form": ImportForm(initial=initial), **_format_context()}
        return render(request, self.template_name, context)

    def post(self, request):
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(
                request, self.template_name, {"form": form, **_format_context()}, status=400
            )
        upload = form.cleaned_data["file"]
        report = csv_io.csv_import(
            organization=self.organization,
            actor=request.user,
            kind=form.cleaned_data["kind"],
            content=upload.read(),
            filename=upload.name or "",
        )
        rejected_download = ""
        encoded = report.rejected_csv.encode("utf-8-sig")
        if report.rejected_csv and len(encoded) <= REJECTED_DOWNLOAD_MAX_BYTES:
            rejected_download = base64.b64encode(encoded).decode("ascii")
        context = {
            "form": ImportForm(initial={"kind": form.cleaned_data["kind"]}),
            "report": report,
            "shown_errors": report.errors[:REPORT_MAX_ERRORS],
            "hidden_error_count": max(0, report.rejected - REPORT_MAX_ERRORS),
            "rejected_download": rejected_download,
            **_format_context(),
        }
        return render(
            request, self.template_name, context, status=400 if report.file_error else 200
        )


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
