"""Forms of the task and playbook pages (parsing only; the services validate and write)."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext_lazy as _

from lifecycle.models import Playbook
from lifecycle.models.tasks import MAX_OFFSET_DAYS, DueAnchor, PlaybookTrigger, TaskKind
from lifecycle.services.playbooks import assignee_rule_choices
from tenancy.ids import id_parse
from tenancy.models import Membership, Role, role_at_least

DUE_CHOICES = [
    ("", _("Any time")),
    ("overdue", _("Overdue")),
    ("today", _("Due today")),
    ("week", _("Due in the next 7 days")),
]
STATUS_CHOICES = [
    ("open", _("Open")),
    ("done", _("Done")),
    ("cancelled", _("Cancelled")),
    ("all", _("All")),
]


def _members(organization):
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by("user__name", "id")
    )


class TaskFilterForm(forms.Form):
    """`assignee`: me (default), all, none, or a member id; never an error page on bad input:
    unknown values fall back to the defaults (`cleaned()`)."""

    assignee = forms.CharField(required=False)
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False)
    due = forms.ChoiceField(choices=DUE_CHOICES, required=False)
    account = forms.CharField(required=False)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.members = list(_members(organization))

    def cleaned(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        assignee = (self.data.get("assignee") or "me").strip()
        member_ids = {member.pk for member in self.members}
        if assignee not in ("me", "all", "none"):
            pk = id_parse(assignee)
            assignee = pk if pk in member_ids else "me"
        return {
            "assignee": assignee,
            "status": data.get("status") or "open",
            "due": data.get("due") or "",
            "account": id_parse(data.get("account") or "") if data.get("account") else None,
        }


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=TaskKind.choices, initial=TaskKind.CALL)
    due_date = forms.DateField(
        label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    due_time = forms.TimeField(
        label=_("Time"),
        required=False,
        initial=time(9, 0),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    assignee = forms.ModelChoiceField(
        label=_("Assignee"),
        queryset=Membership.objects.none(),
        required=False,
        empty_label=_("Unassigned"),
    )
    outcome = forms.CharField(
        label=_("Outcome"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, organization, membership, current_assignee=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.time_zone = ZoneInfo(organization.time_zone)
        members = _members(organization)
        if not role_at_least(membership.role, Role.MANAGER):
            # A CSM takes a task or leaves it where it is; managers reassign.
            allowed = {membership.pk} | ({current_assignee.pk} if current_assignee else set())
            members = members.filter(pk__in=allowed)
        self.fields["assignee"].queryset = members
        self.fields["assignee"].label_from_instance = lambda m: m.user.display_name

    def due_at(self) -> datetime:
        data = self.cleaned_data
        return datetime.combine(
            data["due_date"], data.get("due_time") or time(9, 0), tzinfo=self.time_zone
        )


class PlaybookForm(forms.ModelForm):
    class Meta:
        model = Playbook
        fields = ["name", "trigger", "trigger_value", "description", "active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trigger"].choices = PlaybookTrigger.choices
        self.fields["trigger_value"].help_text = _(
            "Optional. Stage entered: a stage (e.g. renewal). Health band: green, yellow or "
            "red. Follow-up outcome: reached, no_answer or issue_found. Empty: any."
        )


class PlaybookStepForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    position = forms.IntegerField(
        label=_("Order"),
        min_value=1,
        max_value=99,
        required=False,
        widget=forms.NumberInput(attrs={"class": "input-narrow"}),
    )
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=TaskKind.choices, initial=TaskKind.CALL)
    due_offset_days = forms.IntegerField(
        label=_("Days"),
        min_value=0,
        max_value=MAX_OFFSET_DAYS,
        initial=1,
        error_messages={
            "min_value": _("Enter a number of days from 0 to 365."),
            "max_value": _("Enter a number of days from 0 to 365."),
        },
        widget=forms.NumberInput(attrs={"class": "input-narrow"}),
    )
    due_anchor = forms.ChoiceField(
        label=_("Counted"), choices=DueAnchor.choices, initial=DueAnchor.FIRED
    )
    assignee_rule = forms.ChoiceField(label=_("Assignee"), choices=(), initial="owner")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee_rule"].choices = assignee_rule_choices()

    def is_blank(self) -> bool:
        return (
            not self.cleaned_data.get("id") and not (self.cleaned_data.get("title") or "").strip()
        )


class BasePlaybookStepFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        """A kept step (an existing one, or a new row with anything typed) needs a title; the
        error goes on its row. Blank extra rows are ignored."""
        super().clean()
        for sub in self.forms:
            if (
                sub.cleaned_data
                and not sub.cleaned_data.get("DELETE")
                and not sub.is_blank()
                and not (sub.cleaned_data.get("title") or "").strip()
            ):
                sub.add_error("title", _("Give the step a title."))


PlaybookStepFormSet = forms.formset_factory(
    PlaybookStepForm,
    formset=BasePlaybookStepFormSet,
    extra=2,
    can_delete=True,
    max_num=20,
    validate_max=True,
)
