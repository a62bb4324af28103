"""The retention definitions on the golden dataset (tests/renewals/golden.py), by hand."""

from datetime import date

import pytest

from renewals import retention
from renewals.retention import RetentionFilters
from tests.renewals.golden import END, EXPECTED, EXPECTED_BY_CAUSE, START, U, golden_dataset

pytestmark = pytest.mark.django_db


def test_golden_figures_through_the_service(org, in_scope):
    golden_dataset(org)
    with in_scope(org):
        figures = retention.retention_report(organization=org, start=START, end=END)

    data = figures.as_dict()
    assert {key: data[key] for key in EXPECTED} == EXPECTED
    assert data["expansion_by_cause_cents"] == EXPECTED_BY_CAUSE
    assert data["basis"] == "period"


def test_report_without_causes_has_the_same_figures(org, in_scope):
    golden_dataset(org)
    with in_scope(org):
        lean = retention.retention_report(organization=org, start=START, end=END, causes=False)

    data = lean.as_dict()
    assert {key: data[key] for key in EXPECTED} == EXPECTED
    assert data["expansion_by_cause_cents"] is None


def test_empty_cohort_gives_null_ratios(org, in_scope):
    with in_scope(org):
        figures = retention.retention_report(organization=org, start=START, end=END)

    assert (figures.grr, figures.nrr, figures.logo_churn) == (None, None, None)
    assert figures.accounts == 0


def test_boundary_contract_ending_on_e_is_not_counted_at_e(org, in_scope):
    accounts = golden_dataset(org)
    with in_scope(org):
        page = retention.retention_movements(organization=org, start=START, end=END, limit=None)

    by_name = {row.account_name: row for row in page.rows}
    assert (by_name["Golden B"].arr_s, by_name["Golden B"].arr_e) == (500 * U, 0)
    assert by_name["Golden B"].category == "churn"
    assert (by_name["Golden A"].arr_s, by_name["Golden A"].arr_e) == (1000 * U, 1200 * U)
    assert by_name["Golden F"].category == "new"
    assert page.total == 8
    assert [c.start_date for c in by_name["Golden A"].contracts] == [
        date(2025, 1, 1),
        date(2026, 1, 1),
    ]
    assert accounts["A"].pk == by_name["Golden A"].account_id


def test_segment_filter_and_breakdown(org, in_scope):
    golden_dataset(org)
    with in_scope(org):
        enterprise = retention.retention_report(
            organization=org, start=START, end=END, filters=RetentionFilters(segment="enterprise")
        )
        breakdown = dict(
            retention.retention_breakdown(
                organization=org, start=START, end=END, dimension="segment"
            )
        )

    # A (1000 → 1200) and E (2400 → 2700)
    assert (enterprise.starting_arr_cents, enterprise.ending_arr_cents) == (3400 * U, 3900 * U)
    assert enterprise.nrr == round(3900 / 3400, 4)
    assert breakdown["enterprise"].starting_arr_cents == 3400 * U
    assert breakdown["smb"].starting_arr_cents == 4300 * U


def test_monthly_series_adds_up_to_the_bridge(org, in_scope):
    golden_dataset(org)
    with in_scope(org):
        series = retention.retention_series(organization=org, start=START, end=END)

    assert len(series) == 12
    assert series[0].start == START
    assert series[-1].end == END
    assert series[0].starting_arr_cents == 7700 * U
    assert series[-1].ending_arr_cents == retention.arr_total(organization=org, day=END) - 0
    # January: nothing changes on 2025-02-01 except D's add-on (+300)
    assert series[0].expansion_arr_cents == 300 * U
    assert series[0].grr == 1.0


def test_series_matches_single_period_reports(org, in_scope):
    golden_dataset(org)
    with in_scope(org):
        series = retention.retention_series(
            organization=org, start=date(2024, 7, 1), end=date(2026, 7, 1), interval="quarter"
        )
        singles = [
            retention.retention_report(organization=org, start=point.start, end=point.end)
            for point in series
        ]

    assert [p.as_dict() for p in series] == [
        s.as_dict() | {"expansion_by_cause_cents": None} for s in singles
    ]


def test_trailing_twelve_matches_single_period_reports(org, in_scope):
    golden_dataset(org)
    with in_scope(org):
        series = retention.retention_series(
            organization=org, start=date(2025, 10, 1), end=date(2026, 3, 1), basis="trailing12"
        )
        singles = [
            retention.retention_report(organization=org, start=point.start, end=point.end)
            for point in series
        ]

    assert [p.end for p in series] == [
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
    ]
    assert series[2].start == START
    assert series[2].grr == EXPECTED["grr"]
    assert [(p.grr, p.nrr, p.logo_churn, p.accounts) for p in series] == [
        (s.grr, s.nrr, s.logo_churn, s.accounts) for s in singles
    ]
    assert {p.basis for p in series} == {"trailing12"}


def test_monthly_movements_classification(org, in_scope):
    # Given a hand-made history: new in March, expansion in May, churn in August (the
    # contract ends on 2025-08-20, so ARR(2025-09-01) = 0), reactivation in November
    accounts = golden_dataset(org)
    account = accounts["C"]
    from tests.renewals.factories import ContractFactory

    other = ContractFactory(
        account=accounts["F"],
        start_date=date(2025, 5, 10),
        end_date=date(2025, 8, 20),
        arr_cents=100 * U,
        kind="add_on",
    )
    with in_scope(org):
        movements = retention.account_monthly_movements(
            organization=org,
            start=date(2025, 1, 1),
            end=date(2026, 1, 1),
            account_ids=[account.pk, accounts["F"].pk],
        )

    assert [(m.account_id, m.month, m.category, m.arr_s, m.arr_e) for m in movements] == [
        (account.pk, date(2025, 2, 1), "churn", 800 * U, 0),
        (accounts["F"].pk, date(2025, 3, 1), "new", 0, 700 * U),
        (accounts["F"].pk, date(2025, 5, 1), "expansion", 700 * U, 800 * U),
        (accounts["F"].pk, date(2025, 8, 1), "contraction", 800 * U, 700 * U),
        (account.pk, date(2025, 9, 1), "reactivation", 0, 600 * U),
    ]
    assert other.pk


def test_cohort_grid(org, in_scope):
    golden_dataset(org)
    with in_scope(org):
        offsets, rows = retention.cohort_grid(organization=org, today=date(2026, 1, 15))

    row = next(r for r in rows if r.quarter == "2024-Q1")
    assert row.accounts == 8
    # ARR on 2024-04-01: A 1000 + C 800 + E 2000 + H 1000 = 4800
    assert row.starting_arr_cents == 4800 * U
    assert row.cells[0] == (0, 4800 * U, 1.0)
    assert offsets[:3] == [0, 3, 6]
