"""`Idempotency-Key` on API POSTs (DESIGN.md, API).

The first POST with a key claims it with an INSERT that the unique constraint
(organization, key) serialises; its successful answer is stored. A retry with the same key
and the same body gets that answer again (header `Idempotent-Replayed: true`) and creates
nothing; the same key with another body is a 422; a retry while the first is still running
is a 409. Failed answers are not stored (the claim is released), so a corrected retry may
reuse the key. A claim left by a crashed request is taken over after STALE_AFTER.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from tenancy.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
STALE_AFTER = timedelta(minutes=1)
RETENTION = timedelta(hours=24)


def _fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _error(code: str, detail: str, http_status: int) -> Response:
    return Response({"code": code, "detail": detail}, status=http_status)


class IdempotentCreateMixin:
    @extend_schema(
        parameters=[
            OpenApiParameter(
                HEADER,
                location=OpenApiParameter.HEADER,
                required=False,
                description="Any unique string (≤ 255 chars): a retry with the same key and body "
                "within 24 hours returns the first answer instead of creating twice.",
            )
        ]
    )
    def create(self, request, *args, **kwargs):
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return super().create(request, *args, **kwargs)
        if len(key) > MAX_KEY_LENGTH:
            return _error(
                "idempotency_key_invalid",
                f"{HEADER} must be at most {MAX_KEY_LENGTH} characters.",
                status.HTTP_400_BAD_REQUEST,
            )
        organization = request._request.organization
        fingerprint = _fingerprint(request)
        record = _claim(organization, key, fingerprint)
        if isinstance(record, Response):
            return record
        try:
            response = super().create(request, *args, **kwargs)
        except BaseException:
            record.delete()
            raise
        if 200 <= response.status_code < 300:
            record.status_code = response.status_code
            record.response_body = response.data
            record.save(update_fields=["status_code", "response_body"])
        else:
            record.delete()
        return response


def _claim(organization, key: str, fingerprint: str) -> IdempotencyRecord | Response:
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                organization=organization, key=key, fingerprint=fingerprint
            )
    except IntegrityError:
        pass
    existing = IdempotencyRecord.objects.filter(organization=organization, key=key).first()
    if existing is None:  # released in between: the caller may simply retry
        return _error("idempotency_in_progress", "Retry the request.", status.HTTP_409_CONFLICT)
    if existing.fingerprint != fingerprint:
        return _error(
            "idempotency_key_reused",
            f"This {HEADER} was used with a different request. Use a new key.",
            status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    if existing.status_code is None:
        stale = timezone.now() - existing.created_at > STALE_AFTER
        taken = (
            stale
            and IdempotencyRecord.objects.filter(
                organization=organization, pk=existing.pk, created_at=existing.created_at
            ).update(created_at=timezone.now())
            == 1
        )
        if not taken:
            return _error(
                "idempotency_in_progress",
                "A request with this key is still being processed.",
                status.HTTP_409_CONFLICT,
            )
        existing.refresh_from_db()
        return existing
    replay = Response(existing.response_body, status=existing.status_code)
    replay["Idempotent-Replayed"] = "true"
    return replay


def idempotency_records_purge(*, organization) -> int:
    deleted, _ = IdempotencyRecord.objects.filter(
        organization=organization, created_at__lt=timezone.now() - RETENTION
    ).delete()
    return deleted
