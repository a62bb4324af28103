"""Shared pieces of the records API: service errors as DRF's, and id references resolved
inside the organization."""

from __future__ import annotations

from lifecycle.models.success import SuccessPlan
from tenancy.api_fields import reference_field

MAX_VALUE = 1e12


SuccessPlanReferenceField = reference_field(SuccessPlan, "success plan")
