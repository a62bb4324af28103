"""REST API v1: accounts and contacts.

Ids inside payloads are resolved within the organization (an owner is a member's email, an
account is an id or an `external_id`); a foreign id is answered like a missing one.
"""

from __future__ import annotations

import django_filters
from django.db import IntegrityError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts import services
from accounts.models import Account, Contact, Segment, Stage
from accounts.validators import phone_normalize, region_for_organization
from tenancy.api import TenantModelViewSet
from tenancy.api_fields import reference_field
from tenancy.api_filters import BoundedIsoDateTimeFilter
from tenancy.ids import MAX_ID, id_parse
from tenancy.models import Membership


@extend_schema_field({"type": "string", "format": "email", "nullable": True})
class OwnerEmailField(serializers.Field):
    """An account owner, written and read as the member's email."""

    default_error_messages = {
        "unknown": "No member of this organization has the email {value}.",
    }

    def to_representation(self, value):
        return value.user.email if value is not None else None

    def to_internal_value(self, data):
        if data in (None, ""):
            return None
        email = str(data).strip()
        membership = (
            Membership.objects.filter(
                organization=self.context["organization"], user__email__iexact=email
            )
            .select_related("user")
            .first()
        )
        if membership is None:
            self.fail("unknown", value=email)
        return membership


class AccountSerializer(serializers.ModelSerializer):
    owner = OwnerEmailField(required=False, allow_null=True)
    segment = serializers.ChoiceField(choices=Segment.choices, required=False, allow_blank=True)
    stage = serializers.ChoiceField(
        choices=Stage.choices,
        read_only=True,
        help_text="Set by the lifecycle engine; change it by hand with POST "
        "/api/v1/stage-transitions/ (a reason is required).",
    )

    class Meta:
        model = Account
        fields = [
            "id",
            "name",
            "external_id",
            "owner",
            "segment",
            "industry",
            "go_live_date",
            "stage",
            "stage_entered_at",
            "churned_at",
            "health_score",
            "health_band",
            "arr_cents",
            "renewal_date",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "stage_entered_at",
            "churned_at",
            "health_score",
            "health_band",
            "arr_cents",
            "renewal_date",
            "created_at",
            "updated_at",
        ]

    def validate_external_id(self, value):
        value = value.strip()
        if value:
            clash = Account.objects.filter(
                organization=self.context["organization"], external_id=value
            )
            if self.instance is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                raise serializers.ValidationError(
                    "Another account already uses this external_id.", code="duplicate_external_id"
                )
        return value


ContactReferenceField = reference_field(Contact, "contact")


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}]})
class AccountReferenceField(serializers.Field):
    """An account given as its id (integer) or its external_id (string)."""

    default_error_messages = {
        "not_found": "No account with id or external_id {value}.",
        "invalid": "Give the account's id (integer) or external_id (string).",
    }

    def get_attribute(self, instance):
        return getattr(instance, f"{self.source}_id")  # the id alone: no query per row

    def to_representation(self, value):
        return value

    def to_internal_value(self, data):
        accounts = Account.objects.filter(organization=self.context["organization"])
        if isinstance(data, bool) or not isinstance(data, int | str) or data == "":
            self.fail("invalid")
        if isinstance(data, str) and "\x00" in data:
            self.fail("not_found", value=data.replace("\x00", "\\x00"))
        if isinstance(data, int):
            pk = id_parse(data)
            account = accounts.filter(pk=pk).first() if pk is not None else None
        else:
            account = accounts.filter(external_id=data).first()
        if account is None:
            self.fail("not_found", value=data)
        return account


class ContactSerializer(serializers.ModelSerializer):
    account = AccountReferenceField(help_text="The account's id, or its external_id as a string.")

    class Meta:
        model = Contact
        fields = [
            "id",
            "account",
            "name",
            "email",
            "phone",
            "role",
            "locale",
            "is_primary",
            "email_consent",
            "email_consent_at",
            "whatsapp_consent",
            "whatsapp_consent_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["email_consent_at", "whatsapp_consent_at", "created_at", "updated_at"]
        validators: list = []

    def validate_phone(self, value):
        from django.core.exceptions import ValidationError

        try:
            return phone_normalize(
                value, default_region=region_for_organization(self.context["organization"])
            )
        except ValidationError as error:
            raise serializers.ValidationError(error.messages[0], code="invalid_phone") from None

    def validate_email(self, value):
        return value.strip().lower()

    def validate(self, attrs):
        email = attrs.get("email", getattr(self.instance, "email", ""))
        phone = attrs.get("phone", getattr(self.instance, "phone", ""))
        if not email and not phone:
            raise serializers.ValidationError(
                {"email": ["Give at least an email or a phone number."]}, code="no_channel"
            )
        account = attrs.get("account", getattr(self.instance, "account", None))
        if email and account is not None:
            clash = Contact.objects.filter(
                organization=self.context["organization"], account=account, email=email
            )
            if self.instance is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                raise serializers.ValidationError(
                    {"email": ["This account already has a contact with this email."]},
                    code="duplicate_email",
                )
        return attrs


# Filters are declared explicitly: django-filter's model introspection would query the
# scoped manager at import time, outside any organization scope.
class AccountFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Name contains, or exact external_id")
    external_id = django_filters.CharFilter()
    owner = django_filters.CharFilter(field_name="owner__user__email", lookup_expr="iexact")
    segment = django_filters.ChoiceFilter(choices=Segment.choices)
    stage = django_filters.ChoiceFilter(choices=Stage.choices)
    updated_after = BoundedIsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Account
        fields: list[str] = []

    def search(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(name__icontains=value) | Q(external_id=value))


class ContactFilter(django_filters.FilterSet):
    account = django_filters.NumberFilter(
        field_name="account_id", min_value=1, max_value=MAX_ID, label="Account id"
    )
    account_external_id = django_filters.CharFilter(field_name="account__external_id")
    email = django_filters.CharFilter(lookup_expr="iexact")
    role = django_filters.ChoiceFilter(choices=Contact.ContactRole.choices)

    class Meta:
        model = Contact
        fields: list[str] = []


class AccountViewSet(TenantModelViewSet):
    """Customer accounts. `owner` is a member's email; `external_id` is your system's key."""

    serializer_class = AccountSerializer
    filterset_class = AccountFilter
    queryset = Account.objects.none()

    def base_queryset(self):
        return Account.objects.select_related("owner__user")

    def perform_create(self, serializer):
        try:
            serializer.instance = services.account_create(
                organization=self.organization,
                actor=self.actor,
                api_key=self.request._request.api_key,
                **serializer.validated_data,
            )
        except IntegrityError:
            raise serializers.ValidationError(
                {"external_id": ["Another account already uses this external_id."]}
            ) from None

    def perform_update(self, serializer):
        serializer.instance = services.account_update(
            organization=self.organization,
            account=serializer.instance,
            actor=self.actor,
            api_key=self.request._request.api_key,
            **serializer.validated_data,
        )

    def perform_destroy(self, instance):
        services.account_delete(
            organization=self.organization,
            account=instance,
            actor=self.actor,
            api_key=self.request._request.api_key,
        )


class ContactViewSet(TenantModelViewSet):
    """People at customer accounts, with per-channel consent (opt-in/opt-out)."""

    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    queryset = Contact.objects.none()

    def base_queryset(self):
        return Contact.objects.all()

    def perform_create(self, serializer):
        serializer.instance = services.contact_create(
            organization=self.organization, actor=self.actor, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.contact_update(
            organization=self.organization,
            contact=serializer.instance,
            actor=self.actor,
            **serializer.validated_data,
        )

    def perform_destroy(self, instance):
        services.contact_delete(organization=self.organization, contact=instance, actor=self.actor)


ROUTES = [
    ("accounts", AccountViewSet, "account"),
    ("contacts", ContactViewSet, "contact"),
]
