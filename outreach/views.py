"""Pages of the outreach app and the public WhatsApp webhook.

Pages: the message log (`message_list`, CSM+), channel settings (`outreach_settings`, admin+),
message templates (`message_template_list` and the edit page, manager+).
The webhook (`whatsapp_webhook`) is public: its URL token names the organization (the
middleware enters its scope) and the `X-Hub-Signature-256` HMAC of the raw body with the
organization's app secret authenticates each POST.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from django.contrib import messages
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from outreach import selectors, services
from outreach.forms import MessageFilterForm, MessageTemplateForm, OutreachSettingsForm
from outreach.models import MessageTemplate, TemplateLocale
from outreach.templating import (
    DEFAULT_SELLING_WORDS,
    SAMPLE_CONTEXT,
    allowed_variables,
    template_render,
)
from tenancy.middleware import scope_from_token
from tenancy.models import Role
from tenancy.views_base import TenantFormView, TenantView, errors_apply

PAGE_SIZE = 50


class MessageListView(TenantView):
    read_role = Role.CSM

    def get(self, request):
        form = MessageFilterForm(request.GET)
        form.is_valid()
        data = form.cleaned_data
        filters = selectors.MessageFilters(
            status=data.get("status") or "",
            channel=data.get("channel") or "",
            account_id=data.get("account"),
            search=data.get("q") or "",
        )
        queryset = selectors.message_list(organization=self.organization, filters=filters)
        page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
        query = {key: value for key, value in request.GET.items() if key != "page" and value}
        filtered = any((filters.status, filters.channel, filters.search, filters.account_id))
        return render(
            request,
            "outreach/message_list.html",
            {
                "form": form,
                "page": page,
                "rows": page.object_list,
                "filtered": filtered,
                "querystring": urlencode(query),
            },
        )


class OutreachSettingsView(TenantFormView):
    read_role = Role.ADMIN
    write_role = Role.ADMIN
    template_name = "outreach/settings.html"
    form_class = OutreachSettingsForm
    success_message = gettext_lazy("Outreach settings saved.")

    def get_object(self):
        return selectors.outreach_settings_get(organization=self.organization)

    def form_kwargs(self, row):
        return {"instance": row}

    def context(self, row):
        # Read again: a bound form has written its values onto `row`.
        row = self.get_object()
        webhook_url = (
            self.request.build_absolute_uri(reverse("whatsapp_webhook", args=[row.webhook_token]))
            if row.pk
            else ""
        )
        return {
            "webhook_url": webhook_url,
            "default_words_pt_br": ", ".join(DEFAULT_SELLING_WORDS["pt-br"]),
            "default_words_en": ", ".join(DEFAULT_SELLING_WORDS["en"]),
            "time_zone": self.organization.time_zone,
        }

    def save(self, form, row):
        fields = {name: form.cleaned_data[name] for name in OutreachSettingsForm.Meta.fields}
        for name in OutreachSettingsForm.SECRET_FIELDS:
            fields[name] = form.cleaned_data.get(name, "")
        services.outreach_settings_update(
            organization=self.organization, actor=self.request.user, **fields
        )

    def success_url(self, row):
        return reverse("outreach_settings")


class MessageTemplateListView(TenantView):
    read_role = Role.MANAGER
    write_role = Role.MANAGER

    def get(self, request):
        rows = selectors.message_template_rows(organization=self.organization)
        return render(request, "outreach/template_list.html", {"rows": rows})


def _preview(subject: str, body: str) -> tuple[str, str, str]:
    """Rendered subject and body with sample data, or an error message."""
    try:
        return (
            template_render(text=subject, context=SAMPLE_CONTEXT),
            template_render(text=body, context=SAMPLE_CONTEXT),
            "",
        )
    except ValidationError as error:
        return "", "", " ".join(error.messages)


class MessageTemplateEditView(TenantView):
    """Addressed by (key, language) within the active organization: a key with no row of its
    own shows the default in code, and saving creates the organization's row."""

    read_role = Role.MANAGER
    write_role = Role.MANAGER

    def _locale(self, locale: str) -> str:
        if locale not in TemplateLocale.values:
            raise Http404
        return locale

    def _render(self, request, key, locale, form, template, status=200):
        subject = form["subject"].value() or ""
        body = form["body"].value() or ""
        preview_subject, preview_body, preview_error = _preview(subject, body)
        return render(
            request,
            "outreach/template_edit.html",
            {
                "form": form,
                "key": key,
                "locale": locale,
                "locale_label": TemplateLocale(locale).label,
                "template": template,
                "variables": sorted(allowed_variables(key)),
                "preview_subject": preview_subject,
                "preview_body": preview_body,
                "preview_error": preview_error,
                "guarded": key.startswith("followup."),
            },
            status=status,
        )

    def _stored(self, key, locale):
        return MessageTemplate.objects.filter(
            organization=self.organization, key=key, locale=locale
        ).first()

    def get(self, request, key, locale):
        locale = self._locale(locale)
        try:
            resolved = selectors.message_template_resolve(
                organization=self.organization, key=key, locale=locale
            )
        except ValidationError:
            raise Http404 from None
        if resolved.locale != locale:
            raise Http404
        form = MessageTemplateForm(
            initial={
                "subject": resolved.subject,
                "body": resolved.body,
                "whatsapp_template_name": resolved.whatsapp_template_name,
                "whatsapp_template_language": resolved.whatsapp_template_language,
            }
        )
        return self._render(request, key, locale, form, self._stored(key, locale))

    def post(self, request, key, locale):
        locale = self._locale(locale)
        stored = self._stored(key, locale)
        if request.POST.get("action") == "reset":
            if stored is not None:
                services.message_template_reset(
                    organization=self.organization, actor=request.user, template=stored
                )
                messages.success(request, _("The default wording applies again."))
            return redirect("message_template_list")
        form = MessageTemplateForm(request.POST)
        if not form.is_valid():
            return self._render(request, key, locale, form, stored, status=400)
        if request.POST.get("action") == "preview":
            return self._render(request, key, locale, form, stored)
        try:
            services.message_template_save(
                organization=self.organization,
                actor=request.user,
                key=key,
                locale=locale,
                **form.cleaned_data,
            )
        except ValidationError as error:
            errors_apply(form, error)
            return self._render(request, key, locale, form, stored, status=400)
        messages.success(request, _("Template saved."))
        return redirect("message_template_list")


def _json_error(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"code": code, "detail": detail}, status=status)


def _signature_valid(secret: str, body: bytes, header: str) -> bool:
    if not secret or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


@scope_from_token(
    lambda token: selectors.outreach_settings_get_by_webhook_token_unscoped(token=token)
)
@csrf_exempt
@require_http_methods(["GET", "POST"])
def whatsapp_webhook_view(request, token: str):
    outreach_settings = getattr(request, "token_object", None)
    if outreach_settings is None:
        return _json_error(404, "not_found", "Unknown webhook URL.")
    if request.method == "GET":
        verify_token = outreach_settings.whatsapp_verify_token
        if (
            request.GET.get("hub.mode") == "subscribe"
            and verify_token
            and hmac.compare_digest(request.GET.get("hub.verify_token", ""), verify_token)
        ):
            return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
        return _json_error(403, "verification_failed", "Wrong mode or verify token.")
    try:
        body = request.body
    except RequestDataTooBig:
        return _json_error(413, "too_large", "The body is too large.")
    if not _signature_valid(
        outreach_settings.whatsapp_app_secret,
        body,
        request.headers.get("X-Hub-Signature-256", ""),
    ):
        return _json_error(403, "invalid_signature", "Missing or wrong X-Hub-Signature-256.")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _json_error(400, "malformed_json", "The body is not valid JSON.")
    try:
        outcome = services.whatsapp_webhook_process(
            organization=outreach_settings.organization, payload=payload
        )
    except services.WebhookPayloadError as error:
        return _json_error(400, "invalid_payload", str(error))
    return JsonResponse(
        {"statuses": outcome.statuses_applied, "messages": outcome.inbound_stored}, status=200
    )
