"""Pages of the stage engine: the lifecycle board, the manual stage change (with release), and
the lifecycle settings."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.models import Account, Segment
from accounts.selectors import owner_choices
from lifecycle import selectors_stages as selectors
from lifecycle.forms_stages import BoardFilterForm, LifecycleSettingsForm, StageChangeForm
from lifecycle.selectors import lifecycle_settings_get
from lifecycle.services import stages as services
from renewals.services import renewal_window_days
from tenancy.ids import id_parse
from tenancy.models import Role
from tenancy.views_base import TenantObjectMixin, TenantView

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


class AccountStageChangeView(TenantObjectMixin, TenantView):
    """Set the stage by hand (reason required; it holds) or release a hold. CSM and up."""

    model = Account
    read_role = Role.CSM
    write_role = Role.CSM

    def _render(self, request, account, form, status=200):
        hold = selectors.stage_hold_get(organization=self.organization, account=account)
        history = list(
            selectors.stage_transition_list(organization=self.organization, account_id=account.pk)[
                :HISTORY_SIZE
            ]
        )
        sla = selectors.account_sla_get(organization=self.organization, account=account)
        return render(
            request,
            "lifecycle/stages/account_stage_change.html",
            {"account": account, "form": form, "hold": hold, "history": history, "sla": sla},
            status=status,
        )

    def get(self, request, pk):
        account = self.get_object()
        return self._render(request, account, StageChangeForm(initial={"to_stage": account.stage}))

    def post(self, request, pk):
        account = self.get_object()
        if request.POST.get("action") == "release":
            try:
                services.account_stage_release(
                    organization=self.organization, account=account, actor=request.user
                )
            except ValidationError:
                messages.info(request, _("This account's stage was not held."))
            else:
                messages.success(request, _("Released: the rules decide the stage again."))
            return redirect("account_stage_change", pk=account.pk)
        form = StageChangeForm(request.POST)
        if form.is_valid():
            try:
                services.account_stage_set(
                    organization=self.organization,
                    account=account,
                    stage=form.cleaned_data["to_stage"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except ValidationError as error:
                for field, field_messages in error.message_dict.items():
                    for message in field_messages:
                        form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(request, _("Stage changed. It holds until released."))
                return redirect("account_detail", pk=account.pk)
        return self._render(request, account, form, status=400)


class LifecycleSettingsView(TenantView):
    read_role = Role.ADMIN
    write_role = Role.ADMIN

    def _initial(self):
        row = lifecycle_settings_get(organization=self.organization)
        initial = {name: getattr(row, name) for name in services.SETTINGS_FIELDS}
        initial["renewal_window_days"] = renewal_window_days(organization=self.organization)
        return initial

    def get(self, request):
        form = LifecycleSettingsForm(initial=self._initial())
        return render(request, "lifecycle/stages/settings.html", {"form": form})

    def post(self, request):
        form = LifecycleSettingsForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                services.lifecycle_settings_update(
                    organization=self.organization,
                    actor=request.user,
                    renewal_window_days=data.pop("renewal_window_days"),
                    **data,
                )
            except ValidationError as error:
                for field, field_messages in error.message_dict.items():
                    for message in field_messages:
                        form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(
                    request, _("Lifecycle settings saved. Stages are re-evaluated now.")
                )
                return redirect("lifecycle_settings")
        return render(request, "lifecycle/stages/settings.html", {"form": form}, status=400)
