"""Phone numbers are stored in E.164 (+5511987654321)."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def phone_normalize(value: str, *, default_region: str = "BR") -> str:
    """Return `value` as E.164, or raise ValidationError saying what is wrong."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, None if value.startswith("+") else default_region)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _(
                "“%(value)s” is not a phone number. Use the international format, e.g. +5511987654321."
            ),
            code="invalid_phone",
            params={"value": value},
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _(
                "“%(value)s” is not a valid phone number. Use the international format, e.g. +5511987654321."
            ),
            code="invalid_phone",
            params={"value": value},
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def region_for_organization(organization) -> str:
    return "BR" if organization.currency == "BRL" or organization.locale == "pt-br" else "US"
