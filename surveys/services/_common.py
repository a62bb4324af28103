"""Checks shared by the surveys services."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from tenancy.models import Organization


def _check(organization: Organization, *objects: Any) -> None:
    for obj in objects:
        if obj is not None and obj.organization_id != organization.id:
            raise PermissionDenied("Object belongs to another organization.")
