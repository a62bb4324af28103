"""JSON errors with a stable `code` and per-field detail.

Shape: {"code": "validation_error", "detail": "…", "errors": [{"field": "email",
"code": "invalid", "detail": "Enter a valid email address."}]}. Codes are DRF's own
(`not_found`, `not_authenticated`, `permission_denied`, `throttled`, `parse_error`, …) or
ones our services raise; they never change meaning once published.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.fields import get_error_detail
from rest_framework.views import exception_handler as drf_exception_handler


def _flatten(detail, field: str | None, out: list[dict]) -> None:
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = key if field is None else f"{field}.{key}"
            if key == "non_field_errors":
                name = field
            _flatten(value, name, out)
    elif isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):  # ErrorDetail is a str
            for item in detail:
                out.append(
                    {"field": field, "code": getattr(item, "code", "invalid"), "detail": str(item)}
                )
        else:
            for index, item in enumerate(detail):
                if item:
                    _flatten(item, f"{field}[{index}]" if field else f"[{index}]", out)
    else:
        out.append(
            {"field": field, "code": getattr(detail, "code", "invalid"), "detail": str(detail)}
        )


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        # A service's refusal: each message keeps its own code (e.g. `role_forbidden`), so
        # views and viewsets let it propagate instead of converting it themselves.
        exc = exceptions.ValidationError(detail=get_error_detail(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.NotFound()  # never confirm another tenant's object exists
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors: list[dict] = []
        _flatten(exc.detail, None, errors)
        response.data = {
            "code": "validation_error",
            "detail": "Invalid input. See `errors` for each field.",
            "errors": errors,
        }
        return response
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
    response.data = {"code": code, "detail": str(detail)}
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        response.data["retry_after_seconds"] = int(exc.wait)
    return response
