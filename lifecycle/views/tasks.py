"""Task and playbook pages: the task list, task forms, quick complete/reopen (htmx), the
Account 360 tasks panel, and the playbook list and editor.

Roles: viewers read; CSMs create, edit, complete and reopen any task of the organization
(only managers move a task to another member: the service enforces it); managers read
playbooks; admins edit them.
"""

from __future__ import annotations

from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.models import Account
from lifecycle import selectors_tasks as selectors
from lifecycle.forms_tasks import PlaybookForm, PlaybookStepFormSet, TaskFilterForm, TaskForm
from lifecycle.models import Playbook, Task
from lifecycle.models.tasks import TaskSource
from lifecycle.services import playbooks as playbook_services
from lifecycle.services import tasks as task_services
from tenancy.ids import id_parse
from tenancy.models import Role, role_at_least
from tenancy.views_base import TenantActionView, TenantFormView, TenantObjectMixin, TenantView

PAGE_SIZE = 50


def _back(request, fallback: str) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return url
    return fallback


# --- tasks ----------------------------------------------------------------------------------


class TaskListView(TenantView):
    def get(self, request):
        form = TaskFilterForm(request.GET, organization=self.organization)
        values = form.cleaned()
        filters = selectors.TaskFilters(**values)
        queryset = selectors.task_list(
            organization=self.organization, membership=self.membership, filters=filters
        )
        page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
        counts = selectors.task_counts(
            organization=self.organization, membership=self.membership, assignee=filters.assignee
        )
        query = {
            key: value
            for key, value in {
                "assignee": values["assignee"],
                "status": values["status"],
                "due": values["due"],
                "account": values["account"] or "",
            }.items()
            if value not in ("", None)
        }
        return render(
            request,
            "lifecycle/tasks/task_list.html",
            {
                "form": form,
                "filters": filters,
                "members": form.members,
                "page": page,
                "tasks": page.object_list,
                "counts": counts,
                "querystring": urlencode(query),
                "can_edit": role_at_least(self.membership.role, Role.CSM),
                "now": selectors.day_bounds(self.organization)[0],
                "next_url": request.get_full_path(),
            },
        )


class _TaskFormView(TenantFormView):
    read_role = Role.CSM
    template_name = "lifecycle/tasks/task_form.html"
    form_class = TaskForm
    error_fields = {"due_at": "due_date"}


class AccountTaskCreateView(_TaskFormView):
    """A manual task on this account (CSM+)."""

    model = Account
    success_message = gettext_lazy("Task added.")

    def form_kwargs(self, account):
        return {"organization": self.organization, "membership": self.membership}

    def initial(self, account):
        return {"assignee": self.membership.pk}

    def context(self, account):
        return {"account": account, "task": None}

    def save(self, form, account):
        data = form.cleaned_data
        task_services.task_create(
            organization=self.organization,
            account=account,
            title=data["title"],
            kind=data["kind"],
            due_at=form.due_at(),
            source=TaskSource.MANUAL,
            assignee=data["assignee"],
            actor=self.membership,
        )

    def success_url(self, account):
        return reverse("account_detail", args=[account.pk]) + "#tasks"


class TaskEditView(_TaskFormView):
    model = Task
    select_related = ("account", "assignee__user")
    success_message = gettext_lazy("Task saved.")

    def form_kwargs(self, task):
        return {
            "organization": self.organization,
            "membership": self.membership,
            "current_assignee": task.assignee,
        }

    def initial(self, task):
        due_at = task.due_at.astimezone(ZoneInfo(self.organization.time_zone))
        return {
            "title": task.title,
            "kind": task.kind,
            "due_date": due_at.date(),
            "due_time": due_at.time(),
            "assignee": task.assignee_id,
            "outcome": task.outcome,
        }

    def context(self, task):
        return {"account": task.account, "task": task}

    def save(self, form, task):
        data = form.cleaned_data
        task_services.task_update(
            organization=self.organization,
            task=task,
            actor=self.membership,
            title=data["title"],
            kind=data["kind"],
            due_at=form.due_at(),
            assignee=data["assignee"],
            outcome=data["outcome"],
        )

    def success_url(self, task):
        return _back(self.request, reverse("task_list"))


class _TaskActionView(TenantActionView):
    """POST complete/reopen; htmx gets the task's row (list) or item (panel) back."""

    model = Task
    back_to = "task_list"
    select_related = ("account", "assignee__user")

    def act(self, task):
        raise NotImplementedError

    def post(self, request, pk):
        task = self.get_object()
        try:
            task = self.act(task)
        except ValidationError as error:
            if request.htmx:
                return render(
                    request,
                    "lifecycle/tasks/_action_error.html",
                    {"errors": error.messages},
                    status=400,
                )
            for message in error.messages:
                messages.error(request, message)
            return redirect(_back(request, reverse("task_list")))
        if request.htmx:
            task = self.get_queryset().get(pk=task.pk)
            template = (
                "lifecycle/tasks/_panel_item.html"
                if request.POST.get("view") == "panel"
                else "lifecycle/tasks/_task_row.html"
            )
            return render(
                request,
                template,
                {
                    "task": task,
                    "can_edit": True,
                    "now": selectors.day_bounds(self.organization)[0],
                    "next_url": _back(request, reverse("task_list")),
                },
            )
        return redirect(_back(request, reverse("task_list")))


class TaskCompleteView(_TaskActionView):
    def act(self, task):
        outcome = (self.request.POST.get("outcome") or "").strip()[:5000]
        return task_services.task_complete(
            organization=self.organization, task=task, actor=self.membership, outcome=outcome
        )


class TaskReopenView(_TaskActionView):
    def act(self, task):
        return task_services.task_reopen(
            organization=self.organization, task=task, actor=self.membership
        )


class TaskBulkCompleteView(TenantView):
    """Complete the ticked open tasks of the list (at most one page)."""

    def get(self, request):
        return redirect("task_list")

    def post(self, request):
        ids = [pk for pk in (id_parse(raw) for raw in request.POST.getlist("task")) if pk]
        tasks = list(Task.objects.filter(organization=self.organization, pk__in=ids[:PAGE_SIZE]))
        done = 0
        for task in tasks:
            try:
                task_services.task_complete(
                    organization=self.organization, task=task, actor=self.membership
                )
            except ValidationError:
                continue
            done += 1
        if done:
            messages.success(
                request,
                ngettext("%(count)d task completed.", "%(count)d tasks completed.", done)
                % {"count": done},
            )
        else:
            messages.warning(request, _("Tick the open tasks to complete first."))
        return redirect(_back(request, reverse("task_list")))


class AccountTasksPanelView(TenantObjectMixin, TenantView):
    """The Account 360 `#tasks` section (htmx fragment incl. its <h2>)."""

    model = Account

    def get(self, request, pk):
        account = self.get_object()
        open_tasks, more, done = selectors.account_tasks(
            organization=self.organization, account_id=account.pk
        )
        return render(
            request,
            "lifecycle/tasks/_account_panel.html",
            {
                "account": account,
                "open_tasks": open_tasks,
                "more": more,
                "done_tasks": done,
                "can_edit": role_at_least(self.membership.role, Role.CSM),
                "now": selectors.day_bounds(self.organization)[0],
                "next_url": reverse("account_detail", args=[account.pk]) + "#tasks",
            },
        )


# --- playbooks ------------------------------------------------------------------------------


class PlaybookListView(TenantView):
    read_role = Role.MANAGER
    write_role = Role.ADMIN

    def get(self, request):
        playbook_services.playbooks_seed_defaults_if_empty(organization=self.organization)
        return render(
            request,
            "lifecycle/tasks/playbook_list.html",
            {
                "playbooks": selectors.playbook_list(organization=self.organization),
                "can_admin": role_at_least(self.membership.role, Role.ADMIN),
            },
        )


class PlaybookToggleView(TenantActionView):
    model = Playbook
    read_role = Role.MANAGER
    write_role = Role.ADMIN
    back_to = "playbook_list"

    def post(self, request, pk):
        playbook = self.get_object()
        playbook_services.playbook_set_active(
            organization=self.organization,
            playbook=playbook,
            actor=request.user,
            active=not playbook.active,
        )
        if playbook.active:
            messages.success(request, _("Playbook “%(name)s” is active.") % {"name": playbook.name})
        else:
            messages.success(request, _("Playbook “%(name)s” is paused.") % {"name": playbook.name})
        return redirect("playbook_list")


def _step_inputs(formset) -> list[playbook_services.StepInput]:
    rows = []
    for index, form in enumerate(formset.forms):
        if not form.cleaned_data or form.cleaned_data.get("DELETE") or form.is_blank():
            continue
        data = form.cleaned_data
        rows.append((data.get("position") or 100 + index, index, data))
    rows.sort(key=lambda row: (row[0], row[1]))
    return [
        playbook_services.StepInput(
            title=data.get("title") or "",
            kind=data["kind"],
            due_offset_days=data["due_offset_days"],
            due_anchor=data["due_anchor"],
            assignee_rule=data["assignee_rule"],
            id=data.get("id"),
        )
        for _position, _index, data in rows
    ]


def _service_errors(form, formset, error: ValidationError) -> None:
    """Put the service's refusal on the page: step errors above the steps table (the form
    checks each row first, so these are rare), the rest on the playbook fields."""
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    for field, details in error.error_dict.items():
        found = ValidationError(details).messages
        if field == "steps":
            formset._non_form_errors = formset.error_class(found)
        else:
            for message in found:
                form.add_error(field if field in form.fields else None, message)


class _PlaybookEditBase(TenantView):
    read_role = Role.ADMIN
    write_role = Role.ADMIN

    def _render(self, request, form, formset, playbook, status=200):
        return render(
            request,
            "lifecycle/tasks/playbook_form.html",
            {"form": form, "formset": formset, "playbook": playbook},
            status=status,
        )

    def _save(self, request, playbook):
        form = PlaybookForm(request.POST, instance=playbook if playbook else None)
        formset = PlaybookStepFormSet(request.POST, prefix="steps")
        form_ok = form.is_valid()
        formset_ok = formset.is_valid()
        if form_ok and formset_ok:
            steps = _step_inputs(formset)
            data = {name: form.cleaned_data[name] for name in PlaybookForm.Meta.fields}
            try:
                if playbook is None:
                    playbook = playbook_services.playbook_create(
                        organization=self.organization, actor=request.user, steps=steps, **data
                    )
                else:
                    playbook_services.playbook_update(
                        organization=self.organization,
                        playbook=Playbook.objects.get(
                            organization=self.organization, pk=playbook.pk
                        ),
                        actor=request.user,
                        steps=steps,
                        **data,
                    )
            except ValidationError as error:
                _service_errors(form, formset, error)
            else:
                messages.success(request, _("Playbook saved."))
                return redirect("playbook_list")
        return self._render(request, form, formset, playbook, status=400)


class PlaybookCreateView(_PlaybookEditBase):
    def get(self, request):
        return self._render(request, PlaybookForm(), PlaybookStepFormSet(prefix="steps"), None)

    def post(self, request):
        return self._save(request, None)


class PlaybookEditView(TenantObjectMixin, _PlaybookEditBase):
    model = Playbook

    def get(self, request, pk):
        playbook = self.get_object()
        initial = [
            {
                "id": step.pk,
                "position": step.order,
                "title": step.title,
                "kind": step.kind,
                "due_offset_days": step.due_offset_days,
                "due_anchor": step.due_anchor,
                "assignee_rule": step.assignee_rule,
            }
            for step in playbook.steps.all()
        ]
        return self._render(
            request,
            PlaybookForm(instance=playbook),
            PlaybookStepFormSet(prefix="steps", initial=initial),
            playbook,
        )

    def post(self, request, pk):
        playbook = self.get_object()
        return self._save(request, playbook)
