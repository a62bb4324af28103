"""Contract pages: add and edit forms, the CSV import, and the Account 360 contracts panel."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import csv_io
from accounts.models import Account
from renewals import selectors, services
from renewals.csv_import import COLUMNS as IMPORT_COLUMNS
from renewals.csv_import import contracts_import
from renewals.forms import ContractForm
from renewals.models import Contract
from tenancy.models import Role
from tenancy.views_base import TenantObjectMixin, TenantView, errors_apply


class ContractCreateView(TenantObjectMixin, TenantView):
    """Addressed by the account's pk: adds a contract to that account."""

    model = Account
    read_role = Role.CSM

    def get(self, request, pk):
        account = self.get_object()
        form = ContractForm(organization=self.organization, account=account)
        return render(request, "renewals/contract_form.html", {"form": form, "account": account})

    def post(self, request, pk):
        account = self.get_object()
        form = ContractForm(request.POST, organization=self.organization, account=account)
        if form.is_valid():
            try:
                services.contract_create(
                    organization=self.organization,
                    actor=request.user,
                    account=account,
                    **form.service_fields(),
                )
            except ValidationError as error:
                errors_apply(form, error, {"arr_cents": "arr"})
            else:
                messages.success(request, _("Contract added."))
                return redirect(reverse("account_detail", args=[account.pk]) + "#contracts")
        return render(
            request,
            "renewals/contract_form.html",
            {"form": form, "account": account},
            status=400,
        )


class ContractEditView(TenantObjectMixin, TenantView):
    model = Contract
    read_role = Role.CSM
    select_related = ("account",)

    def get(self, request, pk):
        contract = self.get_object()
        form = ContractForm(
            instance=contract, organization=self.organization, account=contract.account
        )
        return render(
            request,
            "renewals/contract_form.html",
            {"form": form, "account": contract.account, "contract": contract},
        )

    def post(self, request, pk):
        contract = self.get_object()
        original = contract
        form = ContractForm(
            request.POST,
            instance=contract,
            organization=self.organization,
            account=contract.account,
        )
        if form.is_valid():
            try:
                services.contract_update(
                    organization=self.organization,
                    contract=original,
                    actor=request.user,
                    **form.service_fields(),
                )
            except ValidationError as error:
                errors_apply(form, error, {"arr_cents": "arr"})
            else:
                messages.success(request, _("Contract saved."))
                return redirect(
                    reverse("account_detail", args=[original.account_id]) + "#contracts"
                )
        return render(
            request,
            "renewals/contract_form.html",
            {"form": form, "account": contract.account, "contract": contract},
            status=400,
        )


class ContractImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        allow_empty_file=True,
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
        error_messages={"required": gettext_lazy("Choose a CSV file to import.")},
    )


class ContractImportView(TenantView):
    read_role = Role.CSM

    def _render(self, request, form, report=None, status=200):
        context = {"form": form, "columns": IMPORT_COLUMNS, "report": report}
        if report is not None:
            context.update(
                shown_errors=report.errors[:500],
                hidden_error_count=max(0, len(report.errors) - 500),
                rejected_download="",
            )
        return render(request, "renewals/contract_import.html", context, status=status)

    def get(self, request):
        return self._render(request, ContractImportForm())

    def post(self, request):
        form = ContractImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._render(request, form, status=400)
        upload = form.cleaned_data["file"]
        if upload.size > csv_io.MAX_FILE_BYTES:
            form.add_error("file", _("The file is too big; split it into smaller files."))
            return self._render(request, form, status=400)
        report = contracts_import(
            organization=self.organization,
            actor=request.user,
            content=upload.read(),
            filename=upload.name or "",
        )
        return self._render(request, ContractImportForm(), report=report)


class AccountContractsPanelView(TenantObjectMixin, TenantView):
    """The Account 360 `#contracts` section (an htmx fragment): ARR, renewal date, contracts
    and open opportunities."""

    model = Account

    def get(self, request, pk):
        account = self.get_object()
        return render(
            request,
            "renewals/_contracts_panel.html",
            {
                "account": account,
                "contracts": selectors.contract_list_for_account(
                    organization=self.organization, account=account
                ),
                "opportunities": selectors.opportunity_list_open_for_account(
                    organization=self.organization, account=account
                ),
                "today": services.organization_today(self.organization),
            },
        )
