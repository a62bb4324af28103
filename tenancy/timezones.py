"""Days in the organization's time zone: every "day" of the product (go-live, due dates,
rollups, report periods) is a date there, not in UTC or the server's zone."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.utils import timezone

from tenancy.models import Organization


def organization_today(organization: Organization) -> date:
    return timezone.localdate(timezone.now(), timezone=ZoneInfo(organization.time_zone))


def local_date(organization: Organization, moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(organization.time_zone)).date()


def local_moment(organization: Organization, day: date, at: time = time.min) -> datetime:
    """The moment `at` o'clock of `day` in the organization's time zone (aware)."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(organization.time_zone))
