"""Writes of the surveys app (one transaction each, audited, organization explicit), by concern:
`surveys` (settings), `responses` (answers), `invitations` (tokens and sends). Import from the
package.

- `survey_create` / `survey_update`: managers define surveys; the kind is fixed once the
  survey has answers (their scale would change meaning). Automatic sending (`auto_trigger`:
  after go-live with `delay_days` 1-365, periodic with `period_days` 30-730) allows one active
  survey per organization and trigger kind; a change of those settings sends
  `survey_trigger_changed` inside the transaction (lifecycle schedules the sends).
- `survey_invitation_create` mints a 256-bit token and stores only its SHA-256; the clear token
  is returned once, for the link. `survey_invitation_send` creates the invitation and queues
  the message through `outreach.services.message_queue` (channel by consent, WhatsApp first,
  opt-out honoured, dedupe key `survey-invitation:<id>`), so a message is never sent twice; a
  contact that already holds an open invitation to the survey (unexpired, unanswered) is not
  invited again (the contact row is locked while checking, so a double click sends once).
- `survey_response_record` is every answer's way in (link, API, by hand): it validates the
  score by the survey's kind and sends `survey_answered` after commit.
- `survey_response_answer` is the public page's: the token's invitation (in the active scope,
  entered by the middleware from the token) gets its response, editable for 24 hours.
"""

from surveys.services.invitations import (
    InvitationSent,
    survey_invitation_create,
    survey_invitation_send,
    survey_invitations_send_to_account,
    survey_link,
)
from surveys.services.responses import (
    FUTURE_TOLERANCE,
    InvalidSurveyLinkError,
    survey_invitation_get_for_answer,
    survey_response_answer,
    survey_response_record,
)
from surveys.services.surveys import (
    SURVEY_FIELDS,
    TRIGGER_FIELDS,
    survey_create,
    survey_update,
)

__all__ = [
    "FUTURE_TOLERANCE",
    "SURVEY_FIELDS",
    "TRIGGER_FIELDS",
    "InvalidSurveyLinkError",
    "InvitationSent",
    "survey_create",
    "survey_invitation_create",
    "survey_invitation_get_for_answer",
    "survey_invitation_send",
    "survey_invitations_send_to_account",
    "survey_link",
    "survey_response_answer",
    "survey_response_record",
    "survey_update",
]
