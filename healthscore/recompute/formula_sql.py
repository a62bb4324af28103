"""The health formula of healthscore/scoring.py written as SQL (PostgreSQL), for the set-based
recompute (healthscore/recompute/set_based.py).

`scored_select(model, table)` turns a table of per-account metrics (the fields of
`scoring.Metrics`) into score, band, components, snapshot and drivers. Arithmetic follows
Python's float semantics: every division and interpolation is done in float8 in the same order
as scoring.py (IEEE doubles on both sides), and round_half_up is floor(x + 0.5) mirrored for
negatives, so both give identical numbers (tests/healthscore/test_set_based.py compares them on
random metrics). Model numbers (weights, thresholds, bands) are literals of the model, never
user text.
"""

from __future__ import annotations

from healthscore import scoring


def _round_half_up(expression: str) -> str:
    return (
        f"(CASE WHEN ({expression}) >= 0 THEN floor(({expression}) + 0.5) "
        f"ELSE -floor(-({expression}) + 0.5) END)::int"
    )


def _interpolate(value: str, bad: float, good: float) -> str:
    """scoring.interpolate: value is a float8 expression; bad/good literals."""
    if good == bad:
        return f"(CASE WHEN ({value}) = {good!r}::float8 THEN 100 ELSE 0 END)"
    # Python: (value - bad) / (good - bad), both differences in float.
    share = (
        f"GREATEST(0::float8, LEAST(1::float8, "
        f"(({value}) - {bad!r}::float8) / ({good!r}::float8 - {bad!r}::float8)))"
    )
    return f"floor({share} * 100::float8 + 0.5::float8)::int"


def _component_columns(model: scoring.ModelConfig) -> str:
    """Per component its score (NULL when missing), from the metric columns of `m`."""
    key_count = len(model.key_features)
    breadth = (
        _interpolate(
            f"(100 * m.features_used)::float8 / {key_count}::float8", *model.threshold("breadth")
        )
        if key_count
        else "NULL::int"
    )
    change = (
        "(CASE WHEN m.usage_prev_30 > 0 THEN "
        + _round_half_up("(100 * (m.usage_30 - m.usage_prev_30))::float8 / m.usage_prev_30::float8")
        + " ELSE 100 END)"
    )
    return f"""
      {breadth} AS s_breadth,
      CASE WHEN m.contacts > 0 THEN {
        _interpolate(
            "(100 * m.active_contacts)::float8 / m.contacts::float8", *model.threshold("depth")
        )
    } END AS s_depth,
      CASE WHEN m.usage_30 > 0 OR m.usage_prev_30 > 0 THEN {change} END AS change_pct,
      CASE WHEN m.usage_30 > 0 OR m.usage_prev_30 > 0 THEN {
        _interpolate(change + "::float8", *model.threshold("trend"))
    } END AS s_trend,
      GREATEST(0, m.open_tickets) AS open_clamped,
      {
        _interpolate(
            "GREATEST(0, m.open_tickets)::float8 + m.opened_30::float8 / 2::float8",
            *model.threshold("support"),
        )
    } AS s_support,
      CASE WHEN m.days_since_usage IS NOT NULL THEN {
        _interpolate("m.days_since_usage::float8", *model.threshold("recency"))
    } END AS s_recency,
      CASE WHEN m.sentiment_count > 0 THEN {
        _round_half_up("m.sentiment_sum::float8 / m.sentiment_count::float8")
    } END AS s_sentiment,
      CASE WHEN m.outcome_count > 0 THEN {
        _round_half_up("m.outcome_sum::float8 / m.outcome_count::float8")
    } END AS s_outcomes,
      CASE WHEN m.billing_overdue THEN 0 WHEN NOT m.billing_overdue THEN 100 END AS s_billing"""


def _text(expression: str) -> str:
    return f"({expression})::text"


def _members(model: scoring.ModelConfig) -> dict[str, list[tuple[str, str]]]:
    """Per component, its JSON members after "score" as (key, text expression over `m`), as in
    scoring.component_values. Every value is a non-NULL integer or boolean when present."""
    return {
        "breadth": [
            ("used", _text("m.features_used")),
            ("total", f"'{len(model.key_features)}'"),
        ],
        "depth": [("active", _text("m.active_contacts")), ("total", _text("m.contacts"))],
        "trend": [
            ("pct", _text("m.change_pct")),
            ("recent", _text("m.usage_30")),
            ("previous", _text("m.usage_prev_30")),
        ],
        "support": [("open", _text("m.open_clamped")), ("opened_30", _text("m.opened_30"))],
        "recency": [("days", _text("m.days_since_usage"))],
        "sentiment": [
            ("mean", _text("m.s_sentiment")),
            ("negative", _text("m.sentiment_negative")),
            ("total", _text("m.sentiment_count")),
        ],
        "outcomes": [("bad", _text("m.outcome_bad")), ("total", _text("m.outcome_count"))],
        "billing": [("overdue", "CASE WHEN m.billing_overdue THEN 'true' ELSE 'false' END")],
    }


def _member_texts(model: scoring.ModelConfig) -> str:
    """Columns t_<component>: the component's JSON members after "score", as text (NULL when
    the component is missing); shared by the components and the drivers."""
    columns = []
    for name, members in _members(model).items():
        text = " || ".join(
            f"""'{"," if index else ""}"{key}":' || {value}"""
            for index, (key, value) in enumerate(members)
        )
        columns.append(f"CASE WHEN m.s_{name} IS NOT NULL THEN {text} END AS t_{name}")
    return ",\n".join(columns)


def _components_json(model: scoring.ModelConfig) -> str:
    """HealthScore.components: {name: {score, numbers…, weight} | {missing, weight}}, as text
    with `||` of typed text (concat() and jsonb_build_object() look up every argument's output
    function on each call: 4x slower), parsed once."""
    parts = []
    for index, name in enumerate(scoring.COMPONENTS):
        weight = model.weight(name)
        prefix = f"""'{"," if index else "{"}"{name}":'"""
        present = (
            f"""'{{"score":' || m.s_{name}::text || ',' || m.t_{name} || ',"weight":{weight}}}'"""
        )
        missing = f"""'{{"missing":true,"weight":{weight}}}'"""
        parts.append(f"{prefix} || CASE WHEN m.s_{name} IS NULL THEN {missing} ELSE {present} END")
    return "(" + " || ".join(parts) + " || '}')::jsonb"


def _snapshot_json() -> str:
    """HealthSnapshot.components: {name: score | null} (scoring.component_scores)."""
    parts = " || ".join(
        f"""'{"," if index else "{"}"{name}":' || COALESCE(m.s_{name}::text, 'null')"""
        for index, name in enumerate(scoring.COMPONENTS)
    )
    return f"({parts} || '}}')::jsonb"


def _score_expression(model: scoring.ModelConfig) -> str:
    """round_half_up(Σ weight·score / Σ weight) over present components with a weight (50
    when none), plus the adjustment, clamped to 0-100."""
    weighted = " + ".join(
        f"COALESCE(m.s_{name}, 0) * {model.weight(name)}"
        for name in scoring.COMPONENTS
        if model.weight(name) > 0
    )
    total = " + ".join(
        f"(CASE WHEN m.s_{name} IS NULL THEN 0 ELSE {model.weight(name)} END)"
        for name in scoring.COMPONENTS
        if model.weight(name) > 0
    )
    if not weighted:
        return "GREATEST(0, LEAST(100, 50 + m.adjustment))"
    base = (
        f"(CASE WHEN ({total}) > 0 THEN "
        + _round_half_up(f"({weighted})::float8 / ({total})::float8")
        + " ELSE 50 END)"
    )
    return f"GREATEST(0, LEAST(100, {base} + m.adjustment))"


def _impact_columns(model: scoring.ModelConfig) -> str:
    """Columns i_<component>: weight x (100 - score) when the component is present, weighted
    and below DRIVER_BELOW (a driver candidate), else NULL."""
    return ",\n".join(
        f"CASE WHEN m.s_{name} < {scoring.DRIVER_BELOW} AND {model.weight(name)} > 0 "
        f"THEN {model.weight(name)} * (100 - m.s_{name}) END AS i_{name}"
        for name in scoring.COMPONENTS
    )


def _candidates(model: scoring.ModelConfig) -> str:
    """(account_id, name, impact, driver JSON text) of every candidate: one scan of `scored`
    per weighted component (a lateral VALUES per account was 4x slower)."""
    return "\nUNION ALL\n".join(
        f"""SELECT account_id, '{name}' AS name, i_{name} AS impact,
              '{{"code":"{name}",' || t_{name} || '}}' AS driver
            FROM scored WHERE i_{name} IS NOT NULL"""  # noqa: S608
        for name in scoring.COMPONENTS
        if model.weight(name) > 0
    )


def scored_select(model: scoring.ModelConfig, metrics_table: str) -> str:
    """Every column of `metrics_table` (account_id, the METRIC_FIELDS, anything else) plus
    score, band, components, snapshot (component scores) and drivers.

    Levels are fenced with OFFSET 0 (else PostgreSQL inlines the component expressions into
    each use and evaluates them many times: 18 s). Drivers are ranked set-based, every
    candidate of every account in one window (a sorted subquery per account was 2 s for 100k
    accounts)."""
    band = (
        f"CASE WHEN m.score >= {int(model.green_min)} THEN 'green' "
        f"WHEN m.score >= {int(model.yellow_min)} THEN 'yellow' ELSE 'red' END"
    )
    candidates = _candidates(model)
    ranked = (
        f"""
        SELECT r.account_id, string_agg(r.driver, ',' ORDER BY r.rank) AS drivers
        FROM (
          SELECT c.account_id, c.driver,
            row_number() OVER (
              PARTITION BY c.account_id ORDER BY c.impact DESC, c.name COLLATE "C") AS rank
          FROM ({candidates}) c
        ) r
        WHERE r.rank <= {scoring.MAX_DRIVERS}
        GROUP BY r.account_id"""  # noqa: S608
        if candidates
        else "SELECT NULL::bigint AS account_id, NULL::text AS drivers WHERE false"
    )
    return f"""
      WITH scored AS MATERIALIZED (
        SELECT m.*, {band} AS band, {_member_texts(model)}, {_impact_columns(model)}
        FROM (
          SELECT m.*, {_score_expression(model)} AS score
          FROM (
            SELECT m.*, {_component_columns(model)} FROM {metrics_table} m OFFSET 0
          ) m OFFSET 0
        ) m
      ), ranked AS ({ranked})
      SELECT m.*, {_components_json(model)} AS components, {_snapshot_json()} AS snapshot,
        ('[' || concat_ws(',', d.drivers, CASE WHEN m.adjustment < 0
          THEN '{{"code":"adjustment","points":' || m.adjustment::text || '}}' END)
          || ']')::jsonb AS drivers
      FROM scored m
      LEFT JOIN ranked d ON d.account_id = m.account_id"""  # noqa: S608
