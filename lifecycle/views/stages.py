"""Pages of the stage engine: the lifecycle board, the manual stage change (with release), and
the lifecycle settings."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Account, Segment
from accounts.selectors import owner_choices
from lifecycle import selectors_sla
from lifecycle import selectors_stages as selectors
from lifecycle.forms_stages import BoardFilterForm, LifecycleSettingsForm, StageChangeForm
from lifecycle.selectors import lifecycle_settings_get
from lifecycle.services import stages as services
from renewals.services import renewal_window_days
from tenancy.ids import id_parse
from tenancy.models import Role
from tenancy.views_base import TenantFormView, TenantView

BOARD_TOP = 8
HISTORY_SIZE = 20


class LifecycleBoardView(TenantView):
    read_role = Role.VIEWER

    def get(self, request):
        form = BoardFilterForm(request.GET or None)
        data = form.cleaned_data if form.is_valid() else {}
        owner = id_parse(data.get("owner") or "")
        owners = list(owner_choices(organization=self.organization))
        if owner is not None and owner not in {m.pk for m in owners}:
            owner = None
        filters = selectors.BoardFilters(owner=owner, segment=data.get("segment") or "")
        board = selectors.stage_board(
            organization=self.organization, filters=filters, top=BOARD_TOP
        )
        settings_row = lifecycle_settings_get(organization=self.organization)
        labels = dict(Segment.choices)
        query = []
        if filters.owner is not None:
            query.append(f"owner={filters.owner}")
        if filters.segment:
            query.append(f"segment={filters.segment}")
        return render(
            request,
            "lifecycle/stages/board.html",
            {
                "board": board,
                "filters": filters,
                "owners": owners,
                "segments": Segment.choices,
                "list_query": "&".join(query),
                "settings_row": settings_row,
                "segment_rows": [
                    {
                        "label": labels.get(row["segment"]) or _("No segment"),
                        "medians": row["medians"],
                    }
                    for row in board.medians_by_segment
                ],
            },
        )


class AccountStageChangeView(TenantFormView):
    """Set the stage by hand (reason required; it holds) or release a hold. CSM and up."""

    model = Account
    read_role = Role.CSM
    write_role = Role.CSM
    template_name = "lifecycle/stages/account_stage_change.html"
    form_class = StageChangeForm
    success_message = gettext_lazy("Stage changed. It holds until released.")

    def initial(self, account):
        return {"to_stage": account.stage}

    def context(self, account):
        hold = selectors.stage_hold_get(organization=self.organization, account=account)
        history = list(
            selectors.stage_transition_list(organization=self.organization, account_id=account.pk)[
                :HISTORY_SIZE
            ]
        )
        sla = selectors_sla.account_sla_get(organization=self.organization, account=account)
        return {
            "account": account,
            "hold": hold,
            "history": history,
            "sla": sla,
            "settings_row": lifecycle_settings_get(organization=self.organization),
        }

    def save(self, form, account):
        services.account_stage_set(
            organization=self.organization,
            account=account,
            stage=form.cleaned_data["to_stage"],
            reason=form.cleaned_data["reason"],
            actor=self.request.user,
        )

    def success_url(self, account):
        return reverse("account_detail", args=[account.pk])

    def post(self, request, pk):
        if request.POST.get("action") != "release":
            return super().post(request, pk)
        account = self.get_object()
        try:
            services.account_stage_release(
                organization=self.organization, account=account, actor=request.user
            )
        except ValidationError:
            messages.info(request, _("This account's stage was not held."))
        else:
            messages.success(request, _("Released: the rules decide the stage again."))
        return redirect("account_stage_change", pk=account.pk)


class LifecycleSettingsView(TenantFormView):
    read_role = Role.ADMIN
    write_role = Role.ADMIN
    template_name = "lifecycle/stages/settings.html"
    form_class = LifecycleSettingsForm
    success_message = gettext_lazy("Lifecycle settings saved. Stages are re-evaluated now.")

    def get_object(self):
        return lifecycle_settings_get(organization=self.organization)

    def initial(self, row):
        initial = {name: getattr(row, name) for name in services.SETTINGS_FIELDS}
        initial["renewal_window_days"] = renewal_window_days(organization=self.organization)
        return initial

    def save(self, form, row):
        data = dict(form.cleaned_data)
        services.lifecycle_settings_update(
            organization=self.organization,
            actor=self.request.user,
            renewal_window_days=data.pop("renewal_window_days"),
            **data,
        )

    def success_url(self, row):
        return reverse("lifecycle_settings")
