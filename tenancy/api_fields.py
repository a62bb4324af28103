"""Serializer fields shared by the apps' APIs."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tenancy.ids import id_parse


def reference_field(model, label: str, *, nullable: bool = True) -> type[serializers.Field]:
    """A field taking a `model` row by id, resolved inside the request's organization
    (`context["organization"]`): another organization's id is "not found", like an unknown
    one. `nullable`: null or "" mean no row; otherwise they are invalid."""

    @extend_schema_field({"type": "integer", "nullable": True} if nullable else {"type": "integer"})
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
            if data in (None, "") and nullable:
                return None
            if isinstance(data, bool) or not isinstance(data, int | str) or data == "":
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
