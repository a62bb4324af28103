"""Money and ratio formatting for the renewals pages."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def cents(value) -> str:
    """Integer cents as currency units with grouping: 123456 → 1,234.56 (localized)."""
    if value is None or value == "":
        return "—"
    # Decimal: Django's number_format truncates, and 123456 / 100 as a float may be 1234.5599…
    return number_format(Decimal(int(value)) / 100, 2, use_l10n=True, force_grouping=True)


@register.filter
def whole_cents(value) -> str:
    """Integer cents as whole currency units (for compact tables): 123456 → 1,235."""
    if value is None or value == "":
        return "—"
    return number_format(round(int(value) / 100), 0, use_l10n=True, force_grouping=True)


@register.filter
def percent(value, digits: int = 1) -> str:
    """A ratio as a percentage: 0.8961 → 89.6%; None → —."""
    if value is None or value == "":
        return "—"
    rounded = Decimal(str(round(float(value) * 100, int(digits))))
    return number_format(rounded, int(digits), use_l10n=True) + "%"


@register.filter
def heat(value) -> str:
    """A CSS class for a ratio cell of the cohort heat map."""
    if value is None:
        return "heat-none"
    if value >= 1.1:
        return "heat-5"
    if value >= 1.0:
        return "heat-4"
    if value >= 0.9:
        return "heat-3"
    if value >= 0.75:
        return "heat-2"
    return "heat-1"
