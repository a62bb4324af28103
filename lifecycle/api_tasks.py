"""REST API of tasks and playbooks (`/api/v1/tasks/`, `/api/v1/playbooks/`).

Tasks: members and write API keys (CSM level) list, create and change tasks; `PATCH` with
`status` completes (`done`, with an optional `outcome`), reopens (`open`) or cancels
(`cancelled`) a task; only a manager moves a task to another member (`role_forbidden`).
`assignee` is the member's email. Tasks are never deleted (cancel them).
Playbooks: managers read, admins write; `steps` is the ordered list of steps and replaces
the playbook's steps on write (an item with an `id` keeps that step).
"""

from __future__ import annotations

from typing import ClassVar

import django_filters
from django.db import transaction
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api import AccountReferenceField, OwnerEmailField
from lifecycle.models import Playbook, PlaybookStep, Task
from lifecycle.models.tasks import (
    MAX_OFFSET_DAYS,
    DueAnchor,
    PlaybookTrigger,
    TaskKind,
    TaskSource,
    TaskStatus,
)
from lifecycle.services import playbooks as playbook_services
from lifecycle.services import tasks as task_services
from tenancy.api import READ_ROLES, TenantModelViewSet
from tenancy.api_filters import BoundedIsoDateTimeFilter
from tenancy.ids import MAX_ID
from tenancy.models import Role


@extend_schema_field({"type": "string", "format": "email", "nullable": True, "readOnly": True})
class MemberEmailReadField(serializers.Field):
    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value.user.email if value is not None else None


class TaskSerializer(serializers.ModelSerializer):
    account = AccountReferenceField(help_text="The account's id, or its external_id as a string.")
    assignee = OwnerEmailField(
        required=False, allow_null=True, help_text="The assigned member's email (null: nobody)."
    )
    kind = serializers.ChoiceField(choices=TaskKind.choices, required=False)
    status = serializers.ChoiceField(
        choices=TaskStatus.choices,
        required=False,
        help_text="PATCH `done` completes the task (with `outcome`), `open` reopens it, "
        "`cancelled` cancels it. New tasks are always open.",
    )
    outcome = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    completed_by = MemberEmailReadField()

    class Meta:
        model = Task
        fields = [
            "id",
            "account",
            "assignee",
            "kind",
            "title",
            "due_at",
            "status",
            "outcome",
            "source",
            "source_key",
            "playbook",
            "step",
            "completed_at",
            "completed_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "source",
            "source_key",
            "playbook",
            "step",
            "completed_at",
            "created_at",
            "updated_at",
        ]


class TaskFilter(django_filters.FilterSet):
    account = django_filters.NumberFilter(
        field_name="account_id", min_value=1, max_value=MAX_ID, label="Account id"
    )
    assignee = django_filters.CharFilter(
        method="filter_assignee", label="Assignee email, or `none` for unassigned tasks"
    )
    status = django_filters.ChoiceFilter(choices=TaskStatus.choices)
    kind = django_filters.ChoiceFilter(choices=TaskKind.choices)
    source = django_filters.ChoiceFilter(choices=TaskSource.choices)
    due_before = BoundedIsoDateTimeFilter(
        field_name="due_at", lookup_expr="lt", label="Due before (ISO 8601 date-time)"
    )
    due_after = BoundedIsoDateTimeFilter(
        field_name="due_at", lookup_expr="gte", label="Due at or after (ISO 8601 date-time)"
    )

    class Meta:
        model = Task
        fields: ClassVar[list[str]] = []

    def filter_assignee(self, queryset, name, value):
        if value.strip().lower() == "none":
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee__user__email__iexact=value.strip())


class TaskViewSet(TenantModelViewSet):
    """The organization's tasks (playbooks, follow-ups, alerts and manual ones)."""

    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    queryset = Task.objects.none()
    http_method_names: ClassVar[list[str]] = ["get", "post", "patch", "head", "options"]

    def base_queryset(self):
        return Task.objects.select_related("assignee__user", "completed_by__user")

    def _actor(self):
        return self.request._request.membership

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("status", None)
        outcome = data.pop("outcome", "")
        errors = {}
        for name in ("title", "due_at"):
            if name not in data:
                errors[name] = [serializers.Field.default_error_messages["required"]]
        if errors:
            raise serializers.ValidationError(errors)
        with transaction.atomic():
            task = task_services.task_create(
                organization=self.organization,
                account=data["account"],
                title=data["title"],
                kind=data.get("kind", TaskKind.OTHER),
                due_at=data["due_at"],
                source=TaskSource.MANUAL,
                assignee=data.get("assignee"),
                actor=self._actor(),
            )
            if outcome:
                task = task_services.task_update(
                    organization=self.organization,
                    task=task,
                    actor=self._actor(),
                    outcome=outcome,
                )
        serializer.instance = task

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        task = serializer.instance
        status = data.pop("status", None)
        outcome = data.pop("outcome", None)
        with transaction.atomic():
            if data:
                task = task_services.task_update(
                    organization=self.organization, task=task, actor=self._actor(), **data
                )
            if status == TaskStatus.DONE:
                task = task_services.task_complete(
                    organization=self.organization,
                    task=task,
                    actor=self._actor(),
                    outcome=outcome or "",
                )
            elif outcome is not None:
                task = task_services.task_update(
                    organization=self.organization,
                    task=task,
                    actor=self._actor(),
                    outcome=outcome,
                )
            if status == TaskStatus.OPEN:
                task = task_services.task_reopen(
                    organization=self.organization, task=task, actor=self._actor()
                )
            elif status == TaskStatus.CANCELLED:
                task = task_services.task_cancel(
                    organization=self.organization, task=task, actor=self._actor()
                )
        serializer.instance = self.get_queryset().get(pk=task.pk)


class PlaybookStepSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="Keep this existing step."
    )
    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=TaskKind.choices, required=False)
    due_offset_days = serializers.IntegerField(min_value=0, max_value=MAX_OFFSET_DAYS)
    due_anchor = serializers.ChoiceField(
        choices=DueAnchor.choices,
        required=False,
        help_text="`fired`: due N days after the trigger; `contract_end`: N days before the "
        "contract ends.",
    )
    assignee_rule = serializers.ChoiceField(
        choices=[
            "owner",
            "role:csm",
            "role:manager",
            "role:admin",
            "role:owner",
        ],
        required=False,
    )

    class Meta:
        model = PlaybookStep
        fields = ["id", "order", "title", "kind", "due_offset_days", "due_anchor", "assignee_rule"]
        read_only_fields = ["order"]


class PlaybookSerializer(serializers.ModelSerializer):
    trigger = serializers.ChoiceField(choices=PlaybookTrigger.choices)
    trigger_value = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=20,
        help_text="Empty: any. stage_entered: a stage; band_changed: green|yellow|red; "
        "followup_outcome: reached|no_answer|issue_found.",
    )
    steps = PlaybookStepSerializer(many=True, required=False)

    class Meta:
        model = Playbook
        fields = [
            "id",
            "name",
            "trigger",
            "trigger_value",
            "active",
            "description",
            "steps",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


def _step_inputs(items):
    return [
        playbook_services.StepInput(
            title=item["title"],
            kind=item.get("kind", TaskKind.CALL),
            due_offset_days=item["due_offset_days"],
            due_anchor=item.get("due_anchor", DueAnchor.FIRED),
            assignee_rule=item.get("assignee_rule", "owner"),
            id=item.get("id"),
        )
        for item in items
    ]


class PlaybookViewSet(TenantModelViewSet):
    """Playbooks: a trigger and ordered steps that create tasks (managers read, admins write)."""

    serializer_class = PlaybookSerializer
    queryset = Playbook.objects.none()
    pagination_class = None
    http_method_names: ClassVar[list[str]] = ["get", "post", "put", "patch", "head", "options"]
    action_roles: ClassVar[dict[str, str]] = {
        **dict.fromkeys(READ_ROLES, Role.MANAGER),
        "create": Role.ADMIN,
        "update": Role.ADMIN,
        "partial_update": Role.ADMIN,
        "destroy": Role.ADMIN,  # not offered (405): pause a playbook instead
    }

    def base_queryset(self):
        return Playbook.objects.prefetch_related("steps")

    def list(self, request, *args, **kwargs):
        playbook_services.playbooks_seed_defaults_if_empty(organization=self.organization)
        return super().list(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        steps = _step_inputs(data.pop("steps", []))
        playbook = playbook_services.playbook_create(
            organization=self.organization, actor=self.actor, steps=steps, **data
        )
        serializer.instance = self.get_queryset().get(pk=playbook.pk)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        steps = data.pop("steps", None)
        playbook = playbook_services.playbook_update(
            organization=self.organization,
            playbook=serializer.instance,
            actor=self.actor,
            steps=_step_inputs(steps) if steps is not None else None,
            **data,
        )
        serializer.instance = self.get_queryset().get(pk=playbook.pk)


ROUTES = [
    ("tasks", TaskViewSet, "task"),
    ("playbooks", PlaybookViewSet, "playbook"),
]
