"""Lifecycle reads shared by the app's parts."""

from __future__ import annotations

from lifecycle.models import LifecycleSettings
from tenancy.models import Organization


def lifecycle_settings_get(*, organization: Organization) -> LifecycleSettings:
    """The organization's settings row, or an unsaved one holding the defaults."""
    row = LifecycleSettings.objects.filter(organization=organization).first()
    return row or LifecycleSettings(organization=organization)
