"""Filter fields shared by the API's filter sets."""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField

MAX_OFFSET = timedelta(hours=14)  # the widest real UTC offset (Kiribati)


class BoundedIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time with a real-world offset (≤ ±14:00) and a year from 1900 to 9999:
    anything else is a 400 naming the parameter, never a database error."""

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None:
            return parsed
        offset = parsed.utcoffset()
        if offset is not None and abs(offset) > MAX_OFFSET:
            raise ValidationError("UTC offset out of range (at most ±14:00).", code="invalid")
        if not 1900 <= parsed.year <= 9999:
            raise ValidationError("Give a date-time between 1900 and 9999.", code="invalid")
        return parsed


class BoundedIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = BoundedIsoDateTimeField
