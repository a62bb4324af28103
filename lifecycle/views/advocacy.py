"""Advocacy pages: the advocates list (viewer+ read), the Account 360 panel, create/edit and
status changes (CSM+)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Account
from lifecycle.forms_records import AdvocacyFilterForm, AdvocacyRecordForm, AdvocacyTransitionForm
from lifecycle.models.advocacy import ADVOCACY_TRANSITIONS, AdvocacyRecord, AdvocacyStatus
from lifecycle.selectors_records import (
    AdvocacyFilters,
    advocacy_page,
    advocacy_record_list,
    advocacy_status_counts,
)
from lifecycle.services import advocacy as services
from tenancy.models import Role
from tenancy.views_base import TenantFormView, TenantObjectMixin, TenantView

PAGE_SIZE = 50


def _next_actions(record: AdvocacyRecord) -> list[tuple[str, str]]:
    return [
        (status, AdvocacyStatus(status).label)
        for status in AdvocacyStatus.values
        if status in ADVOCACY_TRANSITIONS[AdvocacyStatus(record.status)]
    ]


class AdvocateListView(TenantView):
    def get(self, request):
        form = AdvocacyFilterForm(request.GET or None)
        filters = AdvocacyFilters()
        if form.is_bound and form.is_valid():
            filters = AdvocacyFilters(
                kind=form.cleaned_data["kind"], status=form.cleaned_data["status"]
            )
        page = advocacy_page(
            organization=self.organization,
            filters=filters,
            page_number=request.GET.get("page"),
            size=PAGE_SIZE,
        )
        rows = list(page)
        for record in rows:
            record.next_actions = _next_actions(record)
        counts = advocacy_status_counts(organization=self.organization, kind=filters.kind)
        query = request.GET.copy()
        query.pop("page", None)
        return render(
            request,
            "lifecycle/records/advocate_list.html",
            {
                "form": form if form.is_bound else AdvocacyFilterForm(),
                "page": page,
                "rows": rows,
                "counts": [(s, AdvocacyStatus(s).label, counts[s]) for s in AdvocacyStatus.values],
                "total": sum(counts.values()),
                "filters": filters,
                "querystring": query.urlencode(),
            },
        )


class AccountAdvocacyPanelView(TenantObjectMixin, TenantView):
    model = Account

    def get(self, request, pk):
        account = self.get_object()
        records = list(
            advocacy_record_list(
                organization=self.organization, filters=AdvocacyFilters(account=account)
            )[:20]
        )
        for record in records:
            record.next_actions = _next_actions(record)
        return render(
            request,
            "lifecycle/records/_advocacy_panel.html",
            {
                "account": account,
                "records": records,
                "account_url": reverse("account_detail", args=[account.pk]) + "#advocacy",
            },
        )


class _AdvocacyFormView(TenantFormView):
    read_role = Role.CSM
    template_name = "lifecycle/records/advocacy_form.html"
    form_class = AdvocacyRecordForm


class AdvocacyCreateView(_AdvocacyFormView):
    model = Account
    success_message = gettext_lazy("Advocacy record added.")

    def form_kwargs(self, account):
        return {"organization": self.organization, "account": account}

    def initial(self, account):
        return {"kind": self.request.GET.get("kind", "")}

    def context(self, account):
        return {"account": account}

    def save(self, form, account):
        services.advocacy_record_create(
            organization=self.organization,
            account=account,
            actor=self.request.user,
            **form.service_fields(),
        )

    def success_url(self, account):
        return reverse("account_detail", args=[account.pk]) + "#advocacy"


class AdvocacyEditView(_AdvocacyFormView):
    model = AdvocacyRecord
    select_related = ("account",)
    success_message = gettext_lazy("Advocacy record saved.")

    def form_kwargs(self, record):
        return {"organization": self.organization, "account": record.account}

    def initial(self, record):
        initial = {name: getattr(record, name) for name in services.RECORD_FIELDS}
        initial["contact"] = record.contact_id
        return initial

    def context(self, record):
        return {"account": record.account, "record": record}

    def save(self, form, record):
        services.advocacy_record_update(
            organization=self.organization,
            record=record,
            actor=self.request.user,
            **form.service_fields(),
        )

    def success_url(self, record):
        return reverse("account_detail", args=[record.account_id]) + "#advocacy"


class AdvocacyTransitionView(TenantObjectMixin, TenantView):
    """POST `status` (and optionally `on`, a day): moves the record if the step is allowed,
    then back to `next` (a local URL) or the advocates list."""

    model = AdvocacyRecord
    read_role = Role.CSM

    def _back(self, request):
        target = request.POST.get("next") or request.GET.get("next") or ""
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return redirect(target)
        return redirect("advocate_list")

    def get(self, request, pk):
        self.get_object()
        return redirect("advocate_list")

    def post(self, request, pk):
        record = self.get_object()
        form = AdvocacyTransitionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a valid status."))
            return self._back(request)
        try:
            services.advocacy_record_transition(
                organization=self.organization,
                record=record,
                to_status=form.cleaned_data["status"],
                on=form.cleaned_data["on"],
                actor=request.user,
            )
        except ValidationError as error:
            for field_messages in error.message_dict.values():
                for message in field_messages:
                    messages.error(request, message)
        else:
            messages.success(
                request,
                _("Marked as %(status)s.")
                % {"status": AdvocacyStatus(form.cleaned_data["status"]).label.lower()},
            )
        return self._back(request)
