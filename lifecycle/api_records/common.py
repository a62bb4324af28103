"""Shared pieces of the records API: service errors as DRF's, and id references resolved
inside the organization."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Contact
from lifecycle.models.success import SuccessPlan
from tenancy.ids import id_parse

MAX_VALUE = 1e12


def _reference(model, label: str):
    @extend_schema_field({"type": "integer", "nullable": True})
    class ReferenceField(serializers.Field):
        default_error_messages = {
            "not_found": f"No {label} with id {{value}}.",
            "invalid": f"Give the {label}'s id (integer).",
        }

        def get_attribute(self, instance):
            return getattr(instance, f"{self.source}_id")

        def to_representation(self, value):
            return value

        def to_internal_value(self, data):
            if data in (None, ""):
                return None
            if isinstance(data, bool) or not isinstance(data, int | str):
                self.fail("invalid")
            pk = id_parse(data)
            row = (
                model.objects.filter(organization=self.context["organization"], pk=pk).first()
                if pk is not None
                else None
            )
            if row is None:
                self.fail("not_found", value=str(data)[:40])
            return row

    ReferenceField.__name__ = f"{model.__name__}ReferenceField"
    return ReferenceField


ContactReferenceField = _reference(Contact, "contact")
SuccessPlanReferenceField = _reference(SuccessPlan, "success plan")
