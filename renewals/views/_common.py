"""Helpers shared by the renewals pages."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


def _apply_errors(form: forms.BaseForm, error: ValidationError, mapping: dict | None = None):
    mapping = mapping or {}
    for field, field_messages in error.message_dict.items():
        name = mapping.get(field, field)
        target = name if name in form.fields else None
        for message in field_messages:
            form.add_error(target, message)
