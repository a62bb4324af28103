"""Success plan pages: the Account 360 panel, plan and objective forms (CSM+ writes)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Account
from lifecycle.forms_records import ObjectiveForm, SuccessPlanForm
from lifecycle.models.success import Objective, SuccessPlan
from lifecycle.selectors_records import objective_progress_for, success_plans_for_account
from lifecycle.services import success as services
from tenancy.models import Role
from tenancy.views_base import TenantActionView, TenantFormView, TenantObjectMixin, TenantView


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


class _SuccessFormView(TenantFormView):
    """Plan and objective forms: back to the Account 360's `#success-plan` when saved."""

    read_role = Role.CSM

    def success_url(self, obj) -> str:
        return _back(obj.pk if isinstance(obj, Account) else obj.account_id)


class SuccessPlanCreateView(_SuccessFormView):
    model = Account
    template_name = "lifecycle/records/plan_form.html"
    form_class = SuccessPlanForm
    success_message = gettext_lazy("Success plan created.")

    def form_kwargs(self, account):
        return {"organization": self.organization}

    def initial(self, account):
        return {"owner": account.owner}

    def context(self, account):
        return {"account": account}

    def save(self, form, account):
        services.success_plan_create(
            organization=self.organization,
            account=account,
            actor=self.request.user,
            **form.cleaned_data,
        )


class SuccessPlanEditView(_SuccessFormView):
    model = SuccessPlan
    select_related = ("account",)
    template_name = "lifecycle/records/plan_form.html"
    form_class = SuccessPlanForm
    success_message = gettext_lazy("Success plan saved.")

    def form_kwargs(self, plan):
        return {"organization": self.organization}

    def initial(self, plan):
        return {"title": plan.title, "owner": plan.owner_id, "status": plan.status}

    def context(self, plan):
        return {"account": plan.account, "plan": plan}

    def save(self, form, plan):
        services.success_plan_update(
            organization=self.organization, plan=plan, actor=self.request.user, **form.cleaned_data
        )


class ObjectiveCreateView(_SuccessFormView):
    """Addressed by the plan's pk: adds an objective to it."""

    model = SuccessPlan
    select_related = ("account",)
    template_name = "lifecycle/records/objective_form.html"
    form_class = ObjectiveForm
    success_message = gettext_lazy("Objective added.")

    def context(self, plan):
        return {"account": plan.account, "plan": plan}

    def save(self, form, plan):
        services.objective_create(
            organization=self.organization,
            plan=plan,
            actor=self.request.user,
            **form.service_fields(),
        )


class ObjectiveEditView(_SuccessFormView):
    model = Objective
    select_related = ("plan", "account")
    template_name = "lifecycle/records/objective_form.html"
    form_class = ObjectiveForm
    success_message = gettext_lazy("Objective saved.")

    def initial(self, objective):
        return {
            name: getattr(objective, name)
            for name in ObjectiveForm.base_fields
            if hasattr(objective, name)
        }

    def context(self, objective):
        return {"account": objective.account, "plan": objective.plan, "objective": objective}

    def save(self, form, objective):
        # A blank start date is left out: the service keeps the stored one.
        services.objective_update(
            organization=self.organization,
            objective=objective,
            actor=self.request.user,
            **form.service_fields(),
        )


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
