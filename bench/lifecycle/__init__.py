"""The lifecycle stage engine at scale: 100,000 accounts (times BENCH_SCALE), ~250,000 contracts.

Data lives in its own organization (slug `bench-lifecycle`, `bench-lifecycle-0.1` at 0.1 scale), generated once in Python with a
fixed seed and loaded with COPY on PostgreSQL (executemany elsewhere); it is reused while the
organization's name carries DATA_VERSION and the account count matches. Every run first puts
the accounts back in their *stale* stages (one UPDATE: the stage each account had "before the
engine", a deterministic function of its number — about two in three are wrong) and deletes the
organization's transitions, so the first evaluation has many transitions to write.

Figures:
- lifecycle.daily_evaluation_s / _queries: `stages_evaluate(organization=…)` (what
  `stages_evaluate_task` runs) on the stale book — many transitions;
- lifecycle.daily_evaluation_noop_s / _noop_queries: the same again, nothing to change;
- lifecycle.daily_evaluation_transitions: transitions the first run wrote;
- lifecycle.stage_changed_fanout_s: the `stage_changed` receivers (playbook tasks) for those
  transitions, measured once inside a rolled-back transaction (the engine figures above run
  with that receiver disconnected: they are the engine's own time);
- lifecycle.signal_evaluation_ms: `stages_evaluate(account_ids=[one])` as a go-live/contract
  signal does (median of 20, nothing to change);
- lifecycle.board_ms / board_owner_ms: `stage_board` for the organization / one owner's book;
- lifecycle.naive_ratio: the evaluation done the naive way (ORM loop, per account: its hold,
  first value, contract end, open opportunities, decide, save + transition) on a 2,000-account
  sample in a rolled-back transaction, scaled to the book, divided by daily_evaluation_s;
- lifecycle.evaluation_peak_rss_mib: peak RSS of a process running one first evaluation
  (rolled back), and its RSS before the evaluation.
"""

from bench.lifecycle.measure import run

__all__ = ["run"]
