"""Renewals settings of an organization (the renewal window)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from renewals.models import RenewalSettings
from renewals.services._common import _set_and_audit
from tenancy.models import Organization, User


@transaction.atomic
def renewal_settings_update(
    *, organization: Organization, actor: User | None, renewal_window_days: int
) -> RenewalSettings:
    if not 30 <= renewal_window_days <= 180:
        raise ValidationError(
            {"renewal_window_days": [_("The renewal window must be between 30 and 180 days.")]}
        )
    settings_row, _created = RenewalSettings.objects.get_or_create(organization=organization)
    _set_and_audit(
        organization=organization,
        actor=actor,
        obj=settings_row,
        field="renewal_window_days",
        value=renewal_window_days,
        action="renewals.settings_updated",
    )
    return settings_row


def renewal_window_days(*, organization: Organization) -> int:
    row = RenewalSettings.objects.filter(organization=organization).first()
    return row.renewal_window_days if row else RenewalSettings().renewal_window_days
