"""Signals the lifecycle app sends after commit (DESIGN.md: cross-app news).

- `stage_changed(sender, organization, transition_ids)`: StageTransition rows were written
  (automatic or manual); receivers read them (one query) for from/to/account.
- `followup_outcome_recorded(sender, organization, followup_id, account_id, outcome, sentiment)`:
  a CSM recorded the outcome of the 7-day follow-up.
"""

from django.dispatch import Signal

stage_changed = Signal()
followup_outcome_recorded = Signal()
