"""Renewals pages: contracts (forms, import, the Account 360 panel), the renewal and expansion
pipelines, opportunities, the retention report (manager+) with its drill-down and CSV exports,
and the renewals settings (admin). Objects are looked up inside the active organization."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import csv_io
from accounts.models import Account, Segment
from accounts.selectors import owner_choices
from renewals import retention, selectors, services
from renewals.csv_import import COLUMNS as IMPORT_COLUMNS
from renewals.csv_import import contracts_import
from renewals.forms import (
    PRESETS,
    ContractForm,
    ExpansionCloseForm,
    ExpansionCreateForm,
    ExpansionForm,
    OpportunityStageForm,
    PipelineFilterForm,
    RenewalCloseForm,
    RenewalSettingsForm,
    RetentionQueryForm,
    preset_period,
)
from renewals.models import Contract, Opportunity, OpportunityKind
from tenancy.ids import id_parse
from tenancy.models import Role
from tenancy.views_base import TenantObjectMixin, TenantView

PAGE_SIZE = 50
MOVEMENTS_PAGE_SIZE = 100


def _apply_errors(form: forms.BaseForm, error: ValidationError, mapping: dict | None = None):
    mapping = mapping or {}
    for field, field_messages in error.message_dict.items():
        name = mapping.get(field, field)
        target = name if name in form.fields else None
        for message in field_messages:
            form.add_error(target, message)


# ---------------------------------------------------------------------------------------------
# Contracts
# ---------------------------------------------------------------------------------------------
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
                _apply_errors(form, error, {"arr_cents": "arr"})
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
                _apply_errors(form, error, {"arr_cents": "arr"})
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


# ---------------------------------------------------------------------------------------------
# Pipelines
# ---------------------------------------------------------------------------------------------
@dataclass
class MonthGroup:
    month: date | None
    count: int
    amount_cents: int
    forecast_cents: int
    rows: list[Opportunity]


class _PipelineView(TenantView):
    kind = OpportunityKind.RENEWAL
    template = "renewals/pipeline.html"

    def filters(self, request) -> tuple[PipelineFilterForm, selectors.PipelineFilters, str]:
        form = PipelineFilterForm(request.GET or None)
        data = form.cleaned_data if form.is_valid() else {}
        owner_value = (data.get("owner") or "").strip()
        if "owner" not in request.GET and self.membership.role == Role.CSM:
            owner_value = str(self.membership.pk)  # a CSM sees their own book by default
        return (
            form,
            selectors.PipelineFilters(
                owner_id=id_parse(owner_value) if owner_value not in ("", "all") else None,
                unowned=owner_value == "none",
                segment=data.get("segment") or "",
                stage=data.get("stage") or "",
            ),
            owner_value or "all",
        )

    def context(self, request, **extra) -> dict[str, Any]:
        form, filters, owner_value = self.filters(request)
        queryset = selectors.opportunity_pipeline(
            organization=self.organization, kind=self.kind, filters=filters
        )
        page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
        months = selectors.opportunity_pipeline_months(
            organization=self.organization, kind=self.kind, filters=filters
        )
        totals = {m.month: m for m in months}
        groups: list[MonthGroup] = []
        for opportunity in page:
            month = opportunity.month
            if not groups or groups[-1].month != month:
                total = totals.get(month)
                groups.append(
                    MonthGroup(
                        month=month,
                        count=total.count if total else 0,
                        amount_cents=total.amount_cents if total else 0,
                        forecast_cents=total.forecast_cents if total else 0,
                        rows=[],
                    )
                )
            groups[-1].rows.append(opportunity)
        query = request.GET.copy()
        query.pop("page", None)
        if "owner" not in query:
            query["owner"] = owner_value
        return {
            "kind": self.kind,
            "form": form,
            "filters": filters,
            "owner_value": owner_value,
            "owners": owner_choices(organization=self.organization),
            "segments": Segment.choices,
            "page": page,
            "groups": groups,
            "total_amount_cents": sum(m.amount_cents for m in months),
            "total_forecast_cents": sum(m.forecast_cents for m in months),
            "total_count": sum(m.count for m in months),
            "querystring": query.urlencode(),
            "window_days": services.renewal_window_days(organization=self.organization),
            **extra,
        }

    def get(self, request):
        return render(request, self.template, self.context(request))


class RenewalPipelineView(_PipelineView):
    kind = OpportunityKind.RENEWAL


class ExpansionPipelineView(_PipelineView):
    kind = OpportunityKind.EXPANSION

    def get(self, request):
        form = ExpansionCreateForm(organization=self.organization)
        return render(request, self.template, self.context(request, create_form=form))

    def post(self, request):
        form = ExpansionCreateForm(request.POST, organization=self.organization)
        if form.is_valid():
            opportunity = services.expansion_opportunity_create(
                organization=self.organization,
                account=form.cleaned_data["account"],
                actor=request.user,
                title=form.cleaned_data["title"],
                amount_cents=round(form.cleaned_data["amount"] * 100),
                expected_close_date=form.cleaned_data["expected_close_date"],
            )
            messages.success(request, _("Expansion opportunity created."))
            return redirect("opportunity_detail", pk=opportunity.pk)
        return render(request, self.template, self.context(request, create_form=form), status=400)


class ExpansionCreateForAccountView(TenantObjectMixin, TenantView):
    """From Account 360: a manual expansion opportunity for this account."""

    model = Account
    read_role = Role.CSM

    def get(self, request, pk):
        account = self.get_object()
        return render(
            request, "renewals/expansion_form.html", {"form": ExpansionForm(), "account": account}
        )

    def post(self, request, pk):
        account = self.get_object()
        form = ExpansionForm(request.POST)
        if form.is_valid():
            opportunity = services.expansion_opportunity_create(
                organization=self.organization,
                account=account,
                actor=request.user,
                title=form.cleaned_data["title"],
                amount_cents=round(form.cleaned_data["amount"] * 100),
                expected_close_date=form.cleaned_data["expected_close_date"],
            )
            messages.success(request, _("Expansion opportunity created."))
            return redirect("opportunity_detail", pk=opportunity.pk)
        return render(
            request,
            "renewals/expansion_form.html",
            {"form": form, "account": account},
            status=400,
        )


class OpportunityDetailView(TenantObjectMixin, TenantView):
    """One opportunity: its stage (CSM+ may move it) and its closing form."""

    model = Opportunity
    select_related = ("account__owner__user", "contract", "result_contract")

    def _context(self, opportunity, stage_form=None, close_form=None):
        if close_form is None:
            close_form = (
                RenewalCloseForm()
                if opportunity.kind == OpportunityKind.RENEWAL
                else ExpansionCloseForm()
            )
        return {
            "opportunity": opportunity,
            "stage_form": stage_form or OpportunityStageForm(initial={"stage": opportunity.stage}),
            "close_form": close_form,
        }

    def get(self, request, pk):
        opportunity = self.get_object()
        return render(request, "renewals/opportunity_detail.html", self._context(opportunity))

    def post(self, request, pk):
        opportunity = self.get_object()
        action = request.POST.get("action")
        if action == "stage":
            form = OpportunityStageForm(request.POST)
            if form.is_valid():
                try:
                    services.opportunity_stage_set(
                        organization=self.organization,
                        opportunity=opportunity,
                        stage=form.cleaned_data["stage"],
                        actor=request.user,
                    )
                except ValidationError as error:
                    _apply_errors(form, error)
                else:
                    messages.success(request, _("Stage saved."))
                    return redirect("opportunity_detail", pk=opportunity.pk)
            return render(
                request,
                "renewals/opportunity_detail.html",
                self._context(opportunity, stage_form=form),
                status=400,
            )
        if opportunity.kind == OpportunityKind.RENEWAL:
            close_form: forms.Form = RenewalCloseForm(request.POST)
        else:
            close_form = ExpansionCloseForm(request.POST)
        if close_form.is_valid():
            data = close_form.cleaned_data
            arr = data.get("arr")
            try:
                if opportunity.kind == OpportunityKind.RENEWAL:
                    services.renewal_close(
                        organization=self.organization,
                        opportunity=opportunity,
                        outcome=data["outcome"],
                        actor=request.user,
                        terms=services.RenewalTerms(
                            end_date=data.get("end_date"),
                            arr_cents=None if arr is None else round(arr * 100),
                            seats=data.get("seats"),
                        ),
                    )
                else:
                    services.expansion_close(
                        organization=self.organization,
                        opportunity=opportunity,
                        outcome=data["outcome"],
                        actor=request.user,
                        terms=services.AddOnTerms(
                            start_date=data.get("start_date"),
                            end_date=data.get("end_date"),
                            arr_cents=None if arr is None else round(arr * 100),
                            seats=data.get("seats") or 0,
                            plan=data.get("plan") or "",
                        ),
                    )
            except ValidationError as error:
                _apply_errors(close_form, error, {"arr_cents": "arr"})
            else:
                messages.success(request, _("Opportunity closed."))
                return redirect("opportunity_detail", pk=opportunity.pk)
        return render(
            request,
            "renewals/opportunity_detail.html",
            self._context(opportunity, close_form=close_form),
            status=400,
        )


# ---------------------------------------------------------------------------------------------
# Retention report
# ---------------------------------------------------------------------------------------------
def _owner_names(organization) -> dict[int, str]:
    return {m.pk: m.user.display_name for m in owner_choices(organization=organization)}


class RetentionReportView(TenantView):
    read_role = Role.MANAGER
    write_role = Role.MANAGER

    def get(self, request):
        today = services.organization_today(self.organization)
        form = RetentionQueryForm(request.GET, organization=self.organization, today=today)
        owners = owner_choices(organization=self.organization)
        context: dict[str, Any] = {
            "form": form,
            "owners": owners,
            "segments": Segment.choices,
            "presets": [(key, label, *preset_period(key, today)) for key, label in PRESETS],
        }
        if not form.is_valid():
            return render(request, "renewals/retention_report.html", context, status=400)
        data = form.cleaned_data
        filters = form.filters()
        start, end = data["start"], data["end"]
        figures = retention.retention_report(
            organization=self.organization, start=start, end=end, filters=filters
        )
        series = retention.retention_series(
            organization=self.organization,
            start=start,
            end=end,
            interval=data["interval"],
            basis=data["basis"],
            filters=filters,
        )
        owner_names = {m.pk: m.user.display_name for m in owners}
        segment_names = dict(Segment.choices)
        by_segment = [
            (segment_names.get(key, _("No segment")), row)
            for key, row in retention.retention_breakdown(
                organization=self.organization,
                start=start,
                end=end,
                dimension="segment",
                filters=filters,
            )
        ]
        by_owner = [
            (owner_names.get(key, _("Unassigned")), row)
            for key, row in retention.retention_breakdown(
                organization=self.organization,
                start=start,
                end=end,
                dimension="owner",
                filters=filters,
            )
        ]
        offsets, cohorts = retention.cohort_grid(
            organization=self.organization, today=today, filters=filters
        )
        query = request.GET.copy()
        query.pop("preset", None)
        query["start"], query["end"] = start.isoformat(), end.isoformat()
        context.update(
            figures=figures,
            series=series,
            by_segment=by_segment,
            by_owner=by_owner,
            offsets=offsets,
            cohorts=cohorts,
            querystring=query.urlencode(),
            chart_data={
                # trailing12 points are named by the day their twelve months end
                "labels": [
                    (
                        point.end if data["basis"] == retention.BASIS_TRAILING12 else point.start
                    ).isoformat()
                    for point in series
                ],
                "grr": [point.grr for point in series],
                "nrr": [point.nrr for point in series],
                "bridge": {
                    "start": figures.starting_arr_cents / 100,
                    "expansion": figures.expansion_arr_cents / 100,
                    "contraction": figures.contraction_arr_cents / 100,
                    "churn": figures.churned_arr_cents / 100,
                    "end": figures.ending_arr_cents / 100,
                },
                "period": [start.isoformat(), end.isoformat()],
                "labels_text": {
                    "grr": _("GRR"),
                    "nrr": _("NRR"),
                    "start": _("Starting ARR"),
                    "expansion": _("+ Expansion"),
                    "contraction": _("− Contraction"),
                    "churn": _("− Churn"),
                    "end": _("Ending ARR"),
                },
            },
        )
        return render(request, "renewals/retention_report.html", context)


class RetentionMovementsPageView(TenantView):
    """The drill-down: every account behind the figures, with its contracts."""

    read_role = Role.MANAGER
    write_role = Role.MANAGER

    def get(self, request):
        today = services.organization_today(self.organization)
        form = RetentionQueryForm(request.GET, organization=self.organization, today=today)
        context: dict[str, Any] = {"form": form}
        if not form.is_valid():
            return render(request, "renewals/retention_movements.html", context, status=400)
        data = form.cleaned_data
        page_number = id_parse(request.GET.get("page", "1")) or 1
        offset = (page_number - 1) * MOVEMENTS_PAGE_SIZE
        result = retention.retention_movements(
            organization=self.organization,
            start=data["start"],
            end=data["end"],
            filters=form.filters(),
            category=data.get("category") or "",
            offset=offset,
            limit=MOVEMENTS_PAGE_SIZE,
        )
        pages = max(1, -(-result.total // MOVEMENTS_PAGE_SIZE))
        query = request.GET.copy()
        query.pop("page", None)
        query.pop("preset", None)
        query.pop("category", None)
        query["start"], query["end"] = data["start"].isoformat(), data["end"].isoformat()
        context.update(
            category=data.get("category") or "",
            start=data["start"],
            end=data["end"],
            result=result,
            page_number=page_number,
            pages=pages,
            previous_page=page_number - 1 if page_number > 1 else None,
            next_page=page_number + 1 if page_number < pages else None,
            querystring=query.urlencode(),
            categories=[(c, retention.CATEGORY_LABELS[c]) for c in retention.PERIOD_CATEGORIES],
        )
        return render(request, "renewals/retention_movements.html", context)


EXPORT_TABLES = ("summary", "series", "segments", "owners", "cohorts", "movements")


class RetentionExportView(TenantView):
    """CSV of any table of the report: ?table=summary|series|segments|owners|cohorts|movements
    with the report's own period and filters."""

    read_role = Role.MANAGER
    write_role = Role.MANAGER

    def get(self, request):
        today = services.organization_today(self.organization)
        form = RetentionQueryForm(request.GET, organization=self.organization, today=today)
        table = request.GET.get("table") or "summary"
        if table not in EXPORT_TABLES or not form.is_valid():
            problems = [str(m) for errors in form.errors.values() for m in errors]
            if table not in EXPORT_TABLES:
                problems.append(_("Unknown table."))
            return HttpResponse(
                "\n".join(problems), status=400, content_type="text/plain; charset=utf-8"
            )
        data = form.cleaned_data
        rows = self._rows(table, data, form.filters(), today)
        response = StreamingHttpResponse(
            csv_io.csv_lines(rows), content_type="text/csv; charset=utf-8"
        )
        filename = f"retention-{table}-{data['start']}-{data['end']}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    FIGURE_HEADER = (
        "start",
        "end",
        "basis",
        "accounts",
        "starting_arr",
        "expansion_arr",
        "contraction_arr",
        "churned_arr",
        "ending_arr",
        "grr",
        "nrr",
        "logo_churn",
        "churned_accounts",
        "new_accounts",
        "new_arr",
    )

    @staticmethod
    def _figure_row(figures: retention.RetentionFigures) -> list:
        def money(value: int) -> str:
            return f"{value / 100:.2f}"

        def ratio(value: float | None) -> str:
            return "" if value is None else f"{value:.4f}"

        return [
            figures.start.isoformat(),
            figures.end.isoformat(),
            figures.basis,
            figures.accounts,
            money(figures.starting_arr_cents),
            money(figures.expansion_arr_cents),
            money(figures.contraction_arr_cents),
            money(figures.churned_arr_cents),
            money(figures.ending_arr_cents),
            ratio(figures.grr),
            ratio(figures.nrr),
            ratio(figures.logo_churn),
            figures.churned_accounts,
            figures.new_accounts,
            money(figures.new_arr_cents),
        ]

    def _rows(self, table, data, filters, today):
        organization = self.organization
        start, end = data["start"], data["end"]
        if table == "summary":
            figures = retention.retention_report(
                organization=organization, start=start, end=end, filters=filters
            )
            causes = figures.as_dict()["expansion_by_cause_cents"]
            return [
                [
                    *self.FIGURE_HEADER,
                    "expansion_seats",
                    "expansion_price",
                    "expansion_new_plan_or_add_on",
                ],
                [
                    *self._figure_row(figures),
                    f"{causes['seats'] / 100:.2f}",
                    f"{causes['price'] / 100:.2f}",
                    f"{causes['new_plan_or_add_on'] / 100:.2f}",
                ],
            ]
        if table == "series":
            points = retention.retention_series(
                organization=organization,
                start=start,
                end=end,
                interval=data["interval"],
                basis=data["basis"],
                filters=filters,
            )
            return [list(self.FIGURE_HEADER), *[self._figure_row(p) for p in points]]
        if table in ("segments", "owners"):
            names = dict(Segment.choices) if table == "segments" else _owner_names(organization)
            breakdown = retention.retention_breakdown(
                organization=organization,
                start=start,
                end=end,
                dimension="segment" if table == "segments" else "owner",
                filters=filters,
            )
            return [
                [table[:-1], *self.FIGURE_HEADER],
                *[[str(names.get(key, key or "")), *self._figure_row(f)] for key, f in breakdown],
            ]
        if table == "cohorts":
            offsets, cohorts = retention.cohort_grid(
                organization=organization, today=today, filters=filters
            )
            header = ["go_live_quarter", "accounts", "starting_arr"]
            header += [f"arr_m{m}" for m in offsets] + [f"nrr_m{m}" for m in offsets]
            body = []
            for row in cohorts:
                body.append(
                    [
                        row.quarter,
                        row.accounts,
                        f"{row.starting_arr_cents / 100:.2f}",
                        *["" if arr is None else f"{arr / 100:.2f}" for _m, arr, _r in row.cells],
                        *["" if nrr is None else f"{nrr:.4f}" for _m, _a, nrr in row.cells],
                    ]
                )
            return [header, *body]
        page = retention.retention_movements(
            organization=organization,
            start=start,
            end=end,
            filters=filters,
            category=data.get("category") or "",
            limit=None,
        )

        def movement_rows():
            yield [
                "account_id",
                "account",
                "category",
                "arr_start",
                "arr_end",
                "change",
                "contracts",
            ]
            for row in page.rows:
                yield [
                    row.account_id,
                    csv_io.exporting._safe_cell(row.account_name),
                    row.category,
                    f"{row.arr_s / 100:.2f}",
                    f"{row.arr_e / 100:.2f}",
                    f"{row.change / 100:.2f}",
                    "; ".join(
                        f"#{c.pk} {c.kind} {c.start_date}→{c.end_date} {c.arr_cents / 100:.2f}"
                        for c in row.contracts
                    ),
                ]

        return movement_rows()


# ---------------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------------
class RenewalSettingsView(TenantView):
    read_role = Role.ADMIN
    write_role = Role.ADMIN

    def get(self, request):
        form = RenewalSettingsForm(
            initial={
                "renewal_window_days": services.renewal_window_days(organization=self.organization)
            }
        )
        return render(request, "renewals/settings.html", {"form": form})

    def post(self, request):
        form = RenewalSettingsForm(request.POST)
        if form.is_valid():
            services.renewal_settings_update(
                organization=self.organization,
                actor=request.user,
                renewal_window_days=form.cleaned_data["renewal_window_days"],
            )
            messages.success(request, _("Renewal settings saved."))
            return redirect("renewal_settings")
        return render(request, "renewals/settings.html", {"form": form}, status=400)
