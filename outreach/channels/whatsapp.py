"""WhatsApp Business Cloud API: `POST {base_url}/{phone_number_id}/messages`.

Inside the 24-hour customer-service window (the contact wrote to us in the last 24 hours) a
free text message is sent; outside it only an approved template (name + language, the
rendered variables as body parameters) — without one the send is refused, saying why.
Errors are classified for the dispatcher (channels/base.py): 5xx, 429 and a connection
refused before the request went out are transient; 4xx are final with the provider's code
and text; a read timeout or a connection dropped after sending is "outcome unknown".
"""

from __future__ import annotations

import requests
from urllib3.exceptions import NewConnectionError

from outreach.channels.base import SendRequest, SendResult

CONNECT_TIMEOUT = 5
READ_TIMEOUT = 15


def whatsapp_payload(request: SendRequest) -> dict | None:
    """The JSON body for `request`, or None when nothing may be sent (outside the window
    without an approved template)."""
    base = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": request.to_address.lstrip("+"),
        "biz_opaque_callback_data": request.callback_data,
    }
    if request.window_open:
        return {**base, "type": "text", "text": {"preview_url": False, "body": request.body}}
    if not request.whatsapp_template_name:
        return None
    template: dict = {
        "name": request.whatsapp_template_name,
        "language": {"code": request.whatsapp_template_language or "pt_BR"},
    }
    if request.template_params:
        template["components"] = [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": str(value) or "-"} for value in request.template_params
                ],
            }
        ]
    return {**base, "type": "template", "template": template}


def _provider_error(response: requests.Response) -> tuple[str, str]:
    try:
        error = response.json().get("error", {})
    except (ValueError, AttributeError):
        error = {}
    if not isinstance(error, dict):
        error = {}
    code = str(error.get("code") or f"http_{response.status_code}")
    text = str(error.get("message") or response.text or response.reason or "")
    details = (
        (error.get("error_data") or {}).get("details")
        if isinstance(error.get("error_data"), dict)
        else None
    )
    if details:
        text = f"{text} ({details})"
    return code[:40], text[:500]


def _retry_after(response: requests.Response) -> int | None:
    value = response.headers.get("Retry-After", "")
    return int(value) if value.isdigit() else None


class WhatsAppBackend:
    name = "whatsapp"

    def __init__(self, *, base_url: str, phone_number_id: str, access_token: str):
        self.url = f"{base_url.rstrip('/')}/{phone_number_id}/messages"
        self.access_token = access_token

    def send(self, request: SendRequest) -> SendResult:
        payload = whatsapp_payload(request)
        if payload is None:
            return SendResult(
                outcome=SendResult.FAILED,
                error_code="outside_window",
                error_message=(
                    "The contact has not written in the last 24 hours, so WhatsApp only "
                    "accepts an approved template, and this message template has no approved "
                    "WhatsApp template name."
                ),
                backend=self.name,
            )
        try:
            response = requests.post(
                self.url,
                json=payload,
                headers={"Authorization": f"Bearer {self.access_token}"},
                timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
            )
        except requests.exceptions.ConnectTimeout as exc:
            return self._result(SendResult.TRANSIENT, "connect_timeout", str(exc))
        except requests.exceptions.ReadTimeout as exc:
            return self._result(SendResult.UNKNOWN, "outcome_unknown", f"timeout: {exc}")
        except requests.exceptions.ConnectionError as exc:
            if _refused_before_sending(exc):
                return self._result(SendResult.TRANSIENT, "connection_refused", str(exc))
            return self._result(SendResult.UNKNOWN, "outcome_unknown", str(exc))
        except requests.exceptions.RequestException as exc:
            return self._result(SendResult.FAILED, "request_error", str(exc))

        if response.status_code == 429 or response.status_code >= 500:
            code, text = _provider_error(response)
            return SendResult(
                outcome=SendResult.TRANSIENT,
                error_code=code,
                error_message=text,
                retry_after_seconds=_retry_after(response),
                backend=self.name,
            )
        if response.status_code >= 400:
            code, text = _provider_error(response)
            return self._result(SendResult.FAILED, code, text)
        try:
            provider_id = str(response.json()["messages"][0]["id"])
        except (ValueError, KeyError, IndexError, TypeError):
            provider_id = ""
        return SendResult(
            outcome=SendResult.SENT, provider_message_id=provider_id[:200], backend=self.name
        )

    def _result(self, outcome: str, code: str, text: str) -> SendResult:
        return SendResult(
            outcome=outcome, error_code=code[:40], error_message=text[:500], backend=self.name
        )


def _refused_before_sending(exc: requests.exceptions.ConnectionError) -> bool:
    """True when the TCP connection itself failed (nothing was sent)."""
    reason = exc.args[0] if exc.args else None
    inner = getattr(reason, "reason", reason)
    return isinstance(inner, NewConnectionError | ConnectionRefusedError)
