"""Success plan pages: the Account 360 panel, plan and objective forms (CSM+ writes)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Account
from lifecycle.forms_records import ObjectiveForm, SuccessPlanForm, errors_apply
from lifecycle.models.success import Objective, SuccessPlan
from lifecycle.selectors_records import objective_progress_for, success_plans_for_account
from lifecycle.services import success as services
from tenancy.models import Role
from tenancy.views_base import TenantActionView, TenantObjectMixin, TenantView


def _back(account_id: int) -> str:
    return reverse("account_detail", args=[account_id]) + "#success-plan"


class AccountSuccessPanelView(TenantObjectMixin, TenantView):
    """`#success-plan` of the Account 360: plans with objectives, progress and status."""

    model = Account

    def get(self, request, pk):
        account = self.get_object()
        today = services.organization_today(self.organization)
        plans = success_plans_for_account(organization=self.organization, account=account)
        for plan in plans:
            for objective in plan.objectives.all():
                objective.progress = objective_progress_for(objective, today)
        return render(
            request,
            "lifecycle/records/_success_panel.html",
            {"account": account, "plans": plans, "today": today},
        )


class SuccessPlanCreateView(TenantObjectMixin, TenantView):
    model = Account
    read_role = Role.CSM

    def _render(self, request, form, account, status=200):
        return render(
            request,
            "lifecycle/records/plan_form.html",
            {"form": form, "account": account},
            status=status,
        )

    def get(self, request, pk):
        account = self.get_object()
        form = SuccessPlanForm(organization=self.organization, initial={"owner": account.owner})
        return self._render(request, form, account)

    def post(self, request, pk):
        account = self.get_object()
        form = SuccessPlanForm(request.POST, organization=self.organization)
        if form.is_valid():
            try:
                services.success_plan_create(
                    organization=self.organization,
                    account=account,
                    actor=request.user,
                    **form.cleaned_data,
                )
            except ValidationError as error:
                errors_apply(form, error)
            else:
                messages.success(request, _("Success plan created."))
                return redirect(_back(account.pk))
        return self._render(request, form, account, status=400)


class SuccessPlanEditView(TenantObjectMixin, TenantView):
    model = SuccessPlan
    read_role = Role.CSM
    select_related = ("account",)

    def _render(self, request, form, plan, status=200):
        return render(
            request,
            "lifecycle/records/plan_form.html",
            {"form": form, "account": plan.account, "plan": plan},
            status=status,
        )

    def get(self, request, pk):
        plan = self.get_object()
        form = SuccessPlanForm(
            organization=self.organization,
            initial={"title": plan.title, "owner": plan.owner_id, "status": plan.status},
        )
        return self._render(request, form, plan)

    def post(self, request, pk):
        plan = self.get_object()
        form = SuccessPlanForm(request.POST, organization=self.organization)
        if form.is_valid():
            try:
                services.success_plan_update(
                    organization=self.organization,
                    plan=plan,
                    actor=request.user,
                    **form.cleaned_data,
                )
            except ValidationError as error:
                errors_apply(form, error)
            else:
                messages.success(request, _("Success plan saved."))
                return redirect(_back(plan.account_id))
        return self._render(request, form, plan, status=400)


class ObjectiveCreateView(TenantObjectMixin, TenantView):
    """Addressed by the plan's pk: adds an objective to it."""

    model = SuccessPlan
    read_role = Role.CSM
    select_related = ("account",)

    def _render(self, request, form, plan, status=200):
        return render(
            request,
            "lifecycle/records/objective_form.html",
            {"form": form, "account": plan.account, "plan": plan},
            status=status,
        )

    def get(self, request, pk):
        return self._render(request, ObjectiveForm(), self.get_object())

    def post(self, request, pk):
        plan = self.get_object()
        form = ObjectiveForm(request.POST)
        if form.is_valid():
            try:
                services.objective_create(
                    organization=self.organization,
                    plan=plan,
                    actor=request.user,
                    **form.service_fields(),
                )
            except ValidationError as error:
                errors_apply(form, error)
            else:
                messages.success(request, _("Objective added."))
                return redirect(_back(plan.account_id))
        return self._render(request, form, plan, status=400)


class ObjectiveEditView(TenantObjectMixin, TenantView):
    model = Objective
    read_role = Role.CSM
    select_related = ("plan", "account")

    def _render(self, request, form, objective, status=200):
        return render(
            request,
            "lifecycle/records/objective_form.html",
            {
                "form": form,
                "account": objective.account,
                "plan": objective.plan,
                "objective": objective,
            },
            status=status,
        )

    def get(self, request, pk):
        objective = self.get_object()
        initial = {
            name: getattr(objective, name)
            for name in ObjectiveForm.base_fields
            if hasattr(objective, name)
        }
        return self._render(request, ObjectiveForm(initial=initial), objective)

    def post(self, request, pk):
        objective = self.get_object()
        form = ObjectiveForm(request.POST)
        if form.is_valid():
            fields = form.service_fields()
            fields.setdefault("start_date", objective.start_date)
            try:
                services.objective_update(
                    organization=self.organization,
                    objective=objective,
                    actor=request.user,
                    **fields,
                )
            except ValidationError as error:
                errors_apply(form, error)
            else:
                messages.success(request, _("Objective saved."))
                return redirect(_back(objective.account_id))
        return self._render(request, form, objective, status=400)


class ObjectiveDeleteView(TenantActionView):
    model = Objective
    read_role = Role.CSM
    back_to = "account_list"

    def post(self, request, pk):
        objective = self.get_object()
        account_id = objective.account_id
        services.objective_delete(
            organization=self.organization, objective=objective, actor=request.user
        )
        messages.success(request, _("Objective deleted."))
        return redirect(_back(account_id))
