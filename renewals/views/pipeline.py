"""The renewal and expansion pipelines, manual expansion opportunities, and the opportunity
page (stage and closing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.models import Account, Segment
from accounts.selectors import owner_choices
from renewals import selectors, services
from renewals.forms import (
    ExpansionCloseForm,
    ExpansionCreateForm,
    ExpansionForm,
    OpportunityStageForm,
    PipelineFilterForm,
    RenewalCloseForm,
)
from renewals.models import Opportunity, OpportunityKind
from tenancy.ids import id_parse
from tenancy.models import Role
from tenancy.views_base import TenantObjectMixin, TenantView, errors_apply

PAGE_SIZE = 50


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
                    errors_apply(form, error)
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
                errors_apply(close_form, error, {"arr_cents": "arr"})
            else:
                messages.success(request, _("Opportunity closed."))
                return redirect("opportunity_detail", pk=opportunity.pk)
        return render(
            request,
            "renewals/opportunity_detail.html",
            self._context(opportunity, close_form=close_form),
            status=400,
        )
