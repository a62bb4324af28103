"""REST API of the 7-day follow-up (`/api/v1/followups/`).

Read: members and API keys list and read follow-ups (filters: status, overdue, account,
owner email). Write: `POST /followups/{id}/outcome/` records the outcome (CSM level, write
API keys too); refusals are 400 with field codes (`required`, `invalid`, `max_length`) or 409
`already_recorded` / `followup_cancelled`. Follow-ups are created by go-live dates only.
"""

from __future__ import annotations

from typing import ClassVar

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from lifecycle.models import FollowUp
from lifecycle.models.followup import FollowUpOutcome, FollowUpStatus, Sentiment
from lifecycle.services.followup import followup_outcome_record
from tenancy.api import READ_ROLES, TenantViewSet
from tenancy.ids import MAX_ID
from tenancy.models import Role
from tenancy.timezones import organization_today


class FollowUpConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The follow-up cannot take an outcome now."


class FollowUpSerializer(serializers.ModelSerializer):
    account_name = serializers.CharField(source="account.name", read_only=True)
    owner = serializers.SerializerMethodField(help_text="The account owner's email (null: none).")
    overdue = serializers.SerializerMethodField(help_text="Not done after its due date.")
    recorded_by = serializers.SerializerMethodField(help_text="Email of who recorded it.")

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "account",
            "account_name",
            "owner",
            "go_live_date",
            "due_date",
            "status",
            "overdue",
            "task",
            "message",
            "started_at",
            "outcome",
            "sentiment",
            "note",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields

    def get_owner(self, followup: FollowUp) -> str | None:
        owner = followup.account.owner
        return owner.user.email if owner is not None else None

    def get_overdue(self, followup: FollowUp) -> bool:
        today = self.context.get("today")
        return followup.status in (FollowUpStatus.SCHEDULED, FollowUpStatus.OPEN) and (
            today is not None and followup.due_date < today
        )

    def get_recorded_by(self, followup: FollowUp) -> str | None:
        return followup.recorded_by.email if followup.recorded_by is not None else None


class FollowUpOutcomeSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=FollowUpOutcome.choices)
    sentiment = serializers.ChoiceField(
        choices=Sentiment.choices,
        required=False,
        allow_blank=True,
        help_text="Required when reached; negative by default for an issue.",
    )
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, help_text="Required for an issue."
    )


class FollowUpFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=FollowUpStatus.choices)
    account = django_filters.NumberFilter(
        field_name="account_id", min_value=1, max_value=MAX_ID, label="Account id"
    )
    owner = django_filters.CharFilter(method="filter_owner", label="Owner email, or `none`")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Overdue (true/false)")

    class Meta:
        model = FollowUp
        fields: ClassVar[list[str]] = []

    def filter_owner(self, queryset, name, value):
        if value.strip().lower() == "none":
            return queryset.filter(account__owner__isnull=True)
        return queryset.filter(account__owner__user__email__iexact=value.strip())

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        today = organization_today(self.request._request.organization)
        late = {
            "status__in": [FollowUpStatus.SCHEDULED, FollowUpStatus.OPEN],
            "due_date__lt": today,
        }
        return queryset.filter(**late) if value else queryset.exclude(**late)


class FollowUpViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Follow-ups after go-live (one per account), newest first."""

    serializer_class = FollowUpSerializer
    filterset_class = FollowUpFilter
    queryset = FollowUp.objects.none()
    action_roles: ClassVar[dict[str, str]] = {**READ_ROLES, "outcome": Role.CSM}

    def base_queryset(self):
        return FollowUp.objects.select_related("account__owner__user", "recorded_by")

    def required_role(self) -> str | None:
        if getattr(self, "action", None) == "outcome" and self.request.method in ("GET", "HEAD"):
            return Role.VIEWER
        return super().required_role()

    def get_serializer_context(self):
        context = super().get_serializer_context()
        organization = self.request._request.organization
        if organization is not None:
            context["today"] = organization_today(organization)
        return context

    @extend_schema(
        methods=["GET"],
        request=None,
        responses=FollowUpSerializer,
        operation_id="followups_outcome_read",
    )
    @extend_schema(
        methods=["POST"], request=FollowUpOutcomeSerializer, responses=FollowUpSerializer
    )
    @action(detail=True, methods=["get", "post"])
    def outcome(self, request, pk=None):
        """GET: the follow-up with its outcome. POST: record the outcome (reached / no_answer /
        issue_found, sentiment, note)."""
        followup = self.get_object()
        if request.method == "GET":
            return Response(self.get_serializer(followup).data)
        payload = FollowUpOutcomeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            followup = followup_outcome_record(
                organization=self.organization,
                followup=followup,
                actor=self.actor,
                outcome=payload.validated_data["outcome"],
                sentiment=payload.validated_data.get("sentiment", ""),
                note=payload.validated_data.get("note", ""),
            )
        except DjangoValidationError as error:
            if hasattr(error, "error_dict"):
                raise  # field errors: the API's error handler answers 400 with their codes
            raise FollowUpConflict(detail=error.messages[0], code=error.code) from error
        fresh = self.get_queryset().get(pk=followup.pk)
        return Response(self.get_serializer(fresh).data)


ROUTES = [("followups", FollowUpViewSet, "followup")]
