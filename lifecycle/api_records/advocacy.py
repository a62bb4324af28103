"""REST API v1: advocacy records. Status changes through
`POST advocacy-records/{id}/transition/`."""

from __future__ import annotations

from typing import ClassVar

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api import AccountReferenceField, ContactReferenceField
from lifecycle.models.advocacy import (
    ADVOCACY_TRANSITIONS,
    AdvocacyKind,
    AdvocacyRecord,
    AdvocacyStatus,
    ReferralOutcome,
)
from lifecycle.services import advocacy as advocacy_services
from tenancy.api import TenantModelViewSet
from tenancy.ids import MAX_ID
from tenancy.models import Role


class AdvocacyRecordSerializer(serializers.ModelSerializer):
    account = AccountReferenceField(help_text="The account's id, or its external_id as a string.")
    contact = ContactReferenceField(
        required=False, allow_null=True, help_text="A contact of that account, by id."
    )
    kind = serializers.ChoiceField(choices=AdvocacyKind.choices)
    referral_outcome = serializers.ChoiceField(
        choices=ReferralOutcome.choices, required=False, allow_blank=True
    )
    status = serializers.ChoiceField(choices=AdvocacyStatus.choices, read_only=True)
    requested_on = serializers.DateField(required=False, help_text="Default: today.")

    class Meta:
        model = AdvocacyRecord
        fields = [
            "id",
            "account",
            "contact",
            "kind",
            "status",
            "requested_on",
            "agreed_on",
            "done_on",
            "declined_on",
            "review_site",
            "referred_company",
            "referral_outcome",
            "notes",
            "link",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "status",
            "agreed_on",
            "done_on",
            "declined_on",
            "created_at",
            "updated_at",
        ]


class AdvocacyRecordUpdateSerializer(AdvocacyRecordSerializer):
    class Meta(AdvocacyRecordSerializer.Meta):
        read_only_fields = [*AdvocacyRecordSerializer.Meta.read_only_fields, "account"]


class AdvocacyTransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=AdvocacyStatus.choices,
        help_text="requested → agreed → done; requested or agreed → declined.",
    )
    on = serializers.DateField(required=False, allow_null=True, help_text="Default: today.")


class AdvocacyNextStepsSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=AdvocacyStatus.choices)
    allowed = serializers.ListField(child=serializers.ChoiceField(choices=AdvocacyStatus.choices))


class AdvocacyRecordFilter(django_filters.FilterSet):
    account = django_filters.NumberFilter(
        field_name="account_id", min_value=1, max_value=MAX_ID, label="Account id"
    )
    kind = django_filters.ChoiceFilter(choices=AdvocacyKind.choices)
    status = django_filters.ChoiceFilter(choices=AdvocacyStatus.choices)

    class Meta:
        model = AdvocacyRecord
        fields: ClassVar[list[str]] = []


class AdvocacyRecordViewSet(TenantModelViewSet):
    """References, case studies, reviews, referrals and testimonials."""

    serializer_class = AdvocacyRecordSerializer
    filterset_class = AdvocacyRecordFilter
    queryset = AdvocacyRecord.objects.none()
    http_method_names: ClassVar[list[str]] = ["get", "post", "put", "patch", "head", "options"]
    action_roles: ClassVar[dict[str, str]] = {
        **TenantModelViewSet.action_roles,
        "transition": Role.VIEWER,
    }

    def base_queryset(self):
        return AdvocacyRecord.objects.all()

    def required_role(self) -> str | None:
        if self.action == "transition" and self.request.method == "POST":
            return Role.CSM  # reading the next steps is a viewer's, taking one a CSM's
        return super().required_role()

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return AdvocacyRecordUpdateSerializer
        if self.action == "transition":
            return AdvocacyTransitionSerializer
        return AdvocacyRecordSerializer

    def perform_create(self, serializer):
        serializer.instance = advocacy_services.advocacy_record_create(
            organization=self.organization, actor=self.actor, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = advocacy_services.advocacy_record_update(
            organization=self.organization,
            record=serializer.instance,
            actor=self.actor,
            **serializer.validated_data,
        )

    @extend_schema(methods=["GET"], request=None, responses=AdvocacyNextStepsSerializer)
    @extend_schema(
        methods=["POST"], request=AdvocacyTransitionSerializer, responses=AdvocacyRecordSerializer
    )
    @action(detail=True, methods=["get", "post"])
    def transition(self, request, pk=None):
        """GET: the record's status and the steps allowed from it. POST: take one step
        (requested → agreed → done; requested or agreed → declined)."""
        record = self.get_object()
        if request.method == "GET":
            allowed = ADVOCACY_TRANSITIONS[AdvocacyStatus(record.status)]
            return Response(
                {
                    "status": record.status,
                    "allowed": [s for s in AdvocacyStatus.values if s in allowed],
                }
            )
        serializer = AdvocacyTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = advocacy_services.advocacy_record_transition(
            organization=self.organization,
            record=record,
            to_status=serializer.validated_data["status"],
            on=serializer.validated_data.get("on"),
            actor=self.actor,
        )
        return Response(
            AdvocacyRecordSerializer(record, context=self.get_serializer_context()).data
        )
