"""Signals the surveys app sends after commit (DESIGN.md: cross-app news).

- `survey_answered(sender=SurveyResponse, organization, response_id, account_id, kind, score,
  created)`: a response was recorded (`created=True`: its first answer, through the link, the
  API or by hand) or edited through its link within 24 hours of the first answer
  (`created=False`). `kind` is "nps" | "csat" | "ces"; `score` the int on that kind's scale
  (surveys.scoring turns it into a category or a 0-100 sentiment). Sent once per write, after
  the writing transaction commits; receivers run inside the organization's scope of the
  request or task that wrote it. The demo seed does not send it.
- `survey_trigger_changed(sender=Survey, organization, survey_id)`: a survey's automatic
  sending (auto_trigger, delay_days, period_days or active) was set or changed. Sent INSIDE the
  writing transaction (like accounts' `go_live_changed`), so the receiver's schedule (lifecycle:
  ScheduledAction rows) commits with the setting.
"""

from django.dispatch import Signal

survey_answered = Signal()
survey_trigger_changed = Signal()
