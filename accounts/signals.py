"""Signals the accounts app sends (DESIGN.md: cross-app news).

- `go_live_changed(sender, organization, changes)`: go-live dates were set, changed or cleared;
  `changes` is a list of `(account_id, previous, current)` (dates or None), one item per account
  whose go_live_date really changed, sent ONCE per write (a form, an API call, a whole CSV
  import). Unlike the other cross-app signals it is sent INSIDE the writing transaction, so a
  receiver's rows (the follow-up's ScheduledAction: DESIGN.md, Jobs) commit or roll back with
  the go-live itself. Receivers must be set-based (one bulk write for the whole list) and fast.
"""

from django.dispatch import Signal

go_live_changed = Signal()
