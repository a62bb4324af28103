"""Email through Django's configured email backend (EMAIL_URL; anymail in production)."""

from __future__ import annotations

import smtplib
import socket

from django.conf import settings
from django.core.mail import EmailMessage

from outreach.channels.base import SendRequest, SendResult


class EmailBackend:
    name = "email"

    def send(self, request: SendRequest) -> SendResult:
        message = EmailMessage(
            subject=request.subject,
            body=request.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[request.to_address],
            headers={"X-Jornada-Message": request.callback_data},
        )
        try:
            message.send(fail_silently=False)
        except (ConnectionRefusedError, socket.gaierror, smtplib.SMTPConnectError) as exc:
            # The server was never reached: nothing went out, try again later.
            return SendResult(
                outcome=SendResult.TRANSIENT,
                error_code="smtp_unreachable",
                error_message=str(exc)[:500],
                backend=self.name,
            )
        except smtplib.SMTPRecipientsRefused as exc:
            return SendResult(
                outcome=SendResult.FAILED,
                error_code="recipient_refused",
                error_message=str(exc)[:500],
                backend=self.name,
            )
        except (smtplib.SMTPException, OSError) as exc:
            # The conversation broke after it started: the server may have accepted it.
            return SendResult(
                outcome=SendResult.UNKNOWN,
                error_code="outcome_unknown",
                error_message=str(exc)[:500],
                backend=self.name,
            )
        return SendResult(outcome=SendResult.SENT, backend=self.name)
