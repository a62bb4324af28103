"""Health pages: the Account 360 `#health` panel, manual adjustments, the at-risk list, the
model settings with a what-if preview, the events CSV upload and the churn backtest."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account
from healthscore import scoring, selectors, services
from healthscore.backtest import health_backtest
from healthscore.csv_events import events_csv_ingest
from healthscore.forms import AdjustmentForm, EventUploadForm, HealthModelForm
from healthscore.ingest import BatchError
from tenancy.models import Role
from tenancy.views_base import TenantObjectMixin, TenantView

PAGE_SIZE = 50


def _panel_context(request, organization, account, adjustment_form=None) -> dict:
    health = selectors.health_score_get(organization=organization, account=account)
    history = selectors.health_history(organization=organization, account=account, days=90)
    components = []
    if health is not None:
        for name in scoring.COMPONENTS:
            value = health.components.get(name) or {"missing": True}
            components.append(
                {
                    "name": name,
                    "label": scoring.component_label(name),
                    "missing": bool(value.get("missing")),
                    "score": value.get("score"),
                    "weight": value.get("weight"),
                    "detail": ""
                    if value.get("missing")
                    else scoring.driver_text({"code": name, **value}),
                }
            )
    return {
        "account": account,
        "health": health,
        "why": scoring.why_text(health.drivers) if health else "",
        "components": components,
        "changes": selectors.health_changes_since(history=history, current=health, days=7),
        "trend": {
            "labels": [s.day.isoformat() for s in history],
            "scores": [s.score for s in history],
            "label": _("Health score"),
        },
        "adjustments": selectors.health_adjustments_active(
            organization=organization, account=account, now=timezone.now()
        ),
        "adjustment_form": adjustment_form or AdjustmentForm(),
        "can_adjust": request.membership.has_role(Role.CSM),
    }


class AccountHealthPanelView(TenantObjectMixin, TenantView):
    """The `#health` section of the Account 360 (an HTML fragment loaded by htmx)."""

    model = Account

    def get(self, request, pk):
        account = self.get_object()
        context = _panel_context(request, self.organization, account)
        return render(request, "healthscore/_health_panel.html", context)


class HealthAdjustmentCreateView(TenantObjectMixin, TenantView):
    """POST a manual ± points adjustment with a reason and an expiry (CSM+, audited)."""

    model = Account
    read_role = Role.CSM

    def get(self, request, pk):
        account = self.get_object()
        return redirect("account_detail", pk=account.pk)

    def post(self, request, pk):
        account = self.get_object()
        form = AdjustmentForm(request.POST)
        if form.is_valid():
            services.health_adjustment_create(
                organization=self.organization,
                account=account,
                points=form.cleaned_data["points"],
                reason=form.cleaned_data["reason"],
                expires_at=timezone.now() + timedelta(days=form.cleaned_data["days"]),
                actor=request.user,
            )
            if not request.htmx:
                messages.success(request, _("Adjustment saved."))
                return redirect("account_detail", pk=account.pk)
            form = None
        context = _panel_context(request, self.organization, account, adjustment_form=form)
        status = 200 if form is None else 400
        if not request.htmx:
            return render(request, "healthscore/adjustment_page.html", context, status=status)
        return render(request, "healthscore/_health_panel.html", context, status=status)


class AtRiskView(TenantView):
    def get(self, request):
        is_manager = self.membership.has_role(Role.MANAGER)
        scope_all = request.GET.get("scope") == "all" or (
            is_manager and request.GET.get("scope") != "mine"
        )
        owner = None if scope_all else self.membership
        queryset = selectors.at_risk_list(organization=self.organization, owner=owner)
        page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = list(page)
        drivers = selectors.drivers_for_accounts(
            organization=self.organization, account_ids=[a.pk for a in rows]
        )
        for account in rows:
            account.why = scoring.why_text(drivers.get(account.pk, []))
        query = request.GET.copy()
        query.pop("page", None)
        return render(
            request,
            "healthscore/at_risk.html",
            {
                "page": page,
                "rows": rows,
                "scope_all": scope_all,
                "querystring": query.urlencode(),
                "currency": self.organization.currency,
            },
        )


class HealthModelSettingsView(TenantView):
    read_role = Role.ADMIN
    write_role = Role.ADMIN

    def _context(self, form):
        model = selectors.health_model_active(organization=self.organization)
        return {
            "form": form,
            "model": model,
            "rows": form.component_rows(),
            "history": selectors.history_rebuild_latest(organization=self.organization),
        }

    def get(self, request):
        model = selectors.health_model_active(organization=self.organization)
        form = HealthModelForm(initial=HealthModelForm.initial_from(selectors.model_config(model)))
        return render(request, "healthscore/model_settings.html", self._context(form))

    def post(self, request):
        form = HealthModelForm(request.POST)
        if not form.is_valid():
            return render(
                request, "healthscore/model_settings.html", self._context(form), status=400
            )
        config = form.config()
        model = services.health_model_save(
            organization=self.organization,
            data=services.ModelInput(
                weights=dict(config.weights),
                thresholds=dict(config.thresholds),
                key_features=list(config.key_features),
                green_min=config.green_min,
                yellow_min=config.yellow_min,
            ),
            actor=request.user,
        )
        services.health_score_recompute(organization=self.organization)
        messages.success(
            request,
            _("Model version %(version)s saved; scores recomputed, history is being rebuilt.")
            % {"version": model.version},
        )
        return redirect("health_model_settings")


class HistoryRebuildProgressView(TenantView):
    """The history-rebuild progress line of the model settings page (htmx polls it)."""

    read_role = Role.ADMIN

    def get(self, request):
        history = selectors.history_rebuild_latest(organization=self.organization)
        return render(request, "healthscore/_history_progress.html", {"history": history})


class HealthModelPreviewView(TenantView):
    """htmx: the band distribution under the submitted (unsaved) model."""

    read_role = Role.ADMIN
    write_role = Role.ADMIN

    def get(self, request):
        return HttpResponse(status=405)

    def post(self, request):
        form = HealthModelForm(request.POST)
        if not form.is_valid():
            return render(request, "healthscore/_preview.html", {"invalid": True})
        preview = selectors.band_distribution_preview(
            organization=self.organization, candidate=form.config()
        )
        return render(request, "healthscore/_preview.html", {"preview": preview})


class EventUploadView(TenantView):
    read_role = Role.CSM

    def get(self, request):
        return render(request, "healthscore/event_upload.html", {"form": EventUploadForm()})

    def post(self, request):
        form = EventUploadForm(request.POST, request.FILES)
        context: dict = {"form": form}
        if form.is_valid():
            try:
                result = events_csv_ingest(
                    organization=self.organization, content=form.cleaned_data["file"].read()
                )
            except BatchError as error:
                form.add_error("file", error.detail)
            else:
                context["result"] = result
                context["problems"] = [
                    {"line": item.index + 2, "errors": item.errors}
                    for item in result.items
                    if item.status == "rejected"
                ][:500]
                return render(request, "healthscore/event_upload.html", context)
        return render(request, "healthscore/event_upload.html", context, status=400)


class BacktestView(TenantView):
    read_role = Role.MANAGER

    def get(self, request):
        backtest = health_backtest(organization=self.organization)
        return render(request, "healthscore/backtest.html", {"backtest": backtest})
