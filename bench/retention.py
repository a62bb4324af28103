"""Retention reports at scale: 100,000 accounts and 250,000 contracts over five years.

Data lives in its own organization (slug `bench-retention`), generated with set-based SQL
(a recursive CTE for the number series, the same on PostgreSQL and SQLite) and reused when it
already has the expected size (its ARR spans, renewals.ArrSpan, are built when missing).
Every run times a whole-organization rebuild of the spans in a rolled-back transaction
(`spans_rebuild_s`). Measures the selectors the report page
and the API call: the one-year report (GRR, NRR, logo churn, the ARR bridge; and again with
the expansion split by cause) read from the spans, and the same from the contracts (the
reference, what the report did before the spans), the 36-month monthly series (period basis; the trailing-twelve series
too), the go-live cohort grid; then the same one-year figures computed the naive way (every
contract loaded into Python and summed per account in a loop) for the ratio.
"""

from __future__ import annotations

import os
import statistics
import time
from collections import defaultdict
from datetime import date, timedelta

from django.db import connection, transaction
from django.utils import timezone
from django_scopes import scope

from accounts.models import Account
from renewals import retention
from renewals.models import ArrSpan, Contract
from renewals.services import account_revenue_refresh, arr_spans_refresh
from tenancy.models import Organization

SLUG = "bench-retention"
# Bump when _generate changes: data of another version is regenerated, not reused.
DATA_VERSION = "Bench retention (data v4)"


def _scale() -> float:
    return float(os.environ.get("BENCH_SCALE", "1"))


def _median_s(call, repeat: int = 5) -> float:
    call()  # warm caches
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 4)


def _add_days(expression: str, days: str) -> str:
    if connection.vendor == "postgresql":
        return f"({expression} + ({days})::int)"
    return f"date({expression}, '+' || ({days}) || ' days')"


def _ensure_data(accounts: int) -> Organization:
    started = time.perf_counter()
    organization, _ = Organization.objects.get_or_create(
        slug=SLUG, defaults={"name": "", "time_zone": "America/Sao_Paulo"}
    )
    with scope(organization=organization):
        have_accounts = Account.objects.filter(organization=organization).count()
        have_contracts = Contract.objects.filter(organization=organization).count()
        if organization.name == DATA_VERSION and have_accounts == accounts and have_contracts:
            print(f"  data reused: {accounts} accounts, {have_contracts} contracts")
            if not ArrSpan.objects.filter(organization=organization).exists():
                with transaction.atomic():
                    spans = arr_spans_refresh(organization=organization)
                _vacuum_spans()
                print(f"  spans were missing: {spans} built")
            return organization
        with transaction.atomic():
            ArrSpan.objects.filter(organization=organization).delete()
            Contract.objects.filter(organization=organization).delete()
            Account.objects.filter(organization=organization).delete()
            _generate(organization, accounts)
            account_revenue_refresh(organization=organization)
            arr_spans_refresh(organization=organization)
            Organization.objects.filter(pk=organization.pk).update(name=DATA_VERSION)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # VACUUM sets the visibility map: the reports read index-only.
                cursor.execute("VACUUM ANALYZE accounts_account")
                cursor.execute("VACUUM ANALYZE renewals_contract")
        _vacuum_spans()
        count = Contract.objects.filter(organization=organization).count()
    print(
        f"  data ready: {accounts} accounts, {count} contracts in "
        f"{time.perf_counter() - started:.1f} s"
    )
    return organization


def _generate(organization: Organization, accounts: int) -> None:
    """Accounts with go-lives spread over the last four years and a chain of annual contracts
    from go-live: nine in ten renew up to today (their last term ends within the next year),
    one in ten stops a year or more earlier (churn). ARR moves between 85% and 120% of the
    account's base from term to term (expansion and contraction); one account in ten also has
    an add-on (20% of its base) inside its last base term. About 2.5 contracts per account,
    spanning five years (four back, one ahead)."""
    today = timezone.localdate()
    first_go_live = today - timedelta(days=4 * 365)
    now = timezone.now()
    params = {"org": organization.id, "n": accounts, "first": first_go_live, "now": now}
    go_live = _add_days("%(first)s", "(x * 37) %% 1460")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < %(n)s)
            INSERT INTO accounts_account (organization_id, name, external_id, owner_id, segment,
                industry, go_live_date, stage, stage_entered_at, churned_at, health_score,
                health_band, health_computed_at, arr_cents, renewal_date, created_at, updated_at)
            SELECT %(org)s, 'Bench account ' || x, 'BR-' || x, NULL,
                CASE x %% 4 WHEN 0 THEN 'smb' WHEN 1 THEN 'mid_market' WHEN 2 THEN 'enterprise'
                     ELSE 'strategic' END,
                '', {go_live}, 'retention', %(now)s, NULL, NULL, '', NULL, 0, NULL,
                %(now)s, %(now)s
            FROM seq""",
            params,
        )
        start_base = _add_days("a.g", "365 * t.k")
        start_add_on = _add_days("a.g", "365 * (t.k - 1) + 120")  # inside the last base term
        end_base = _add_days("a.g", "365 * (t.k + 1)")
        end_add_on = _add_days("a.g", "365 * t.k")
        is_add_on = "(t.k = a.terms)"  # the extra row of one account in ten
        years = "(1460 - (x * 37) %% 1460) / 365"  # whole years from go-live to today
        cursor.execute(
            f"""
            WITH RECURSIVE terms(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM terms WHERE k < 4),
            seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < %(n)s),
            shape AS (
                SELECT x, CASE WHEN x %% 10 = 3 THEN
                              CASE WHEN {years} > 1 THEN {years} - 1 ELSE 1 END
                          ELSE {years} + 1 END AS terms
                FROM seq
            ),
            a AS (
                SELECT acc.id, acc.go_live_date AS g, shape.x AS n, shape.terms
                FROM accounts_account acc
                JOIN shape ON acc.external_id = 'BR-' || shape.x
                WHERE acc.organization_id = %(org)s
            )
            INSERT INTO renewals_contract (organization_id, account_id, kind, start_date,
                end_date, arr_cents, seats, plan, status, renewed_from_id, external_id,
                created_at, updated_at)
            SELECT %(org)s, a.id,
                CASE WHEN {is_add_on} THEN 'add_on' ELSE 'base' END,
                CASE WHEN {is_add_on} THEN {start_add_on} ELSE {start_base} END,
                CASE WHEN {is_add_on} THEN {end_add_on} ELSE {end_base} END,
                (1000000 + (a.n * 7919 %% 200) * 50000)
                  * CASE WHEN {is_add_on} THEN 20 ELSE 85 + (a.n * 31 + t.k * 17) %% 36 END / 100,
                (1000000 + (a.n * 7919 %% 200) * 50000) / 100000 + t.k,
                CASE WHEN (a.n + t.k) %% 7 = 0 THEN 'Enterprise' ELSE 'Business' END,
                'active', NULL, '', %(now)s, %(now)s
            FROM a JOIN terms t
              ON t.k < a.terms + CASE WHEN a.n %% 10 = 0 AND a.terms >= 1 THEN 1 ELSE 0 END""",
            params,
        )


def _vacuum_spans() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # A whole-organization rebuild (even rolled back) inserts in account order: the
            # day index splits pages at random and grows to 2-3x its size (42 MB -> 145 MB
            # at 516k spans), after which the planner reads the S side with a seq scan.
            cursor.execute(f"REINDEX TABLE {ArrSpan._meta.db_table}")
            # Sets the visibility map: the report's two range reads are index-only scans.
            cursor.execute(f"VACUUM ANALYZE {ArrSpan._meta.db_table}")


def _time_spans_rebuild(organization: Organization) -> tuple[float, int]:
    """Rebuild every span of the organization (what the demo seed and the generator do) and
    roll it back: the committed spans stay as they are, so the timed reports do not depend on
    VACUUM being able to clean 250k dead rows while other sessions hold snapshots. Foreign
    keys are checked immediately so their cost (normally at commit) is inside the timing.
    Returns (seconds, rows)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        started = time.perf_counter()
        rows = arr_spans_refresh(organization=organization)
        elapsed = round(time.perf_counter() - started, 3)
        transaction.set_rollback(True)
    _vacuum_spans()
    print(f"  spans rebuild (rolled back): {rows} rows in {elapsed:.2f} s")
    return elapsed, rows


def _figures_from(arr_s: dict[int, int], arr_e: dict[int, int], account_ids) -> dict:
    starting = ending = retained = churned = cohort = 0
    for account_id in account_ids:
        s, e = arr_s.get(account_id, 0), arr_e.get(account_id, 0)
        if s > 0:
            cohort += 1
            starting += s
            ending += e
            retained += min(s, e)
            churned += 1 if e == 0 else 0
    return {
        "grr": round(retained / starting, 4) if starting else None,
        "nrr": round(ending / starting, 4) if starting else None,
        "logo_churn": round(churned / cohort, 4) if cohort else None,
    }


def _naive_year_report(organization: Organization, start: date, end: date) -> dict:
    """The naive way: a Python loop over the accounts, reading each account's contracts."""
    arr_s: dict[int, int] = {}
    arr_e: dict[int, int] = {}
    account_ids = []
    for account in Account.objects.filter(organization=organization).only("id"):
        account_ids.append(account.pk)
        contracts = Contract.objects.filter(organization=organization, account=account).exclude(
            status="void"
        )
        for contract in contracts:
            if contract.start_date <= start < contract.end_date:
                arr_s[account.pk] = arr_s.get(account.pk, 0) + contract.arr_cents
            if contract.start_date <= end < contract.end_date:
                arr_e[account.pk] = arr_e.get(account.pk, 0) + contract.arr_cents
    return _figures_from(arr_s, arr_e, account_ids)


def _bulk_python_year_report(organization: Organization, start: date, end: date) -> dict:
    """A kinder naive way: every contract loaded in one query, summed in Python."""
    arr_s: dict[int, int] = defaultdict(int)
    arr_e: dict[int, int] = defaultdict(int)
    account_ids = list(
        Account.objects.filter(organization=organization).values_list("id", flat=True)
    )
    contracts = Contract.objects.filter(organization=organization).exclude(status="void")
    for account_id, start_date, end_date, arr in contracts.values_list(
        "account_id", "start_date", "end_date", "arr_cents"
    ).iterator(chunk_size=5000):
        if start_date <= start < end_date:
            arr_s[account_id] += arr
        if start_date <= end < end_date:
            arr_e[account_id] += arr
    return _figures_from(arr_s, arr_e, account_ids)


def _once_s(call) -> float:
    started = time.perf_counter()
    call()
    return round(time.perf_counter() - started, 4)


def run():
    accounts = int(100_000 * _scale())
    organization = _ensure_data(accounts)
    today = timezone.localdate()
    this_month = today.replace(day=1)
    year_start = retention.add_months(this_month, -12)
    series_start = retention.add_months(this_month, -36)
    figures_out = []
    with scope(organization=organization):
        rebuild_s, span_rows = _time_spans_rebuild(organization)
        report = retention.retention_report(
            organization=organization, start=year_start, end=this_month
        )
        reference = retention.retention_report_from_contracts(
            organization=organization, start=year_start, end=this_month
        )
        if report != reference:
            raise RuntimeError(f"spans {report.as_dict()} disagree with {reference.as_dict()}")
        naive = _bulk_python_year_report(organization, year_start, this_month)
        if (report.grr, report.nrr, report.logo_churn) != (
            naive["grr"],
            naive["nrr"],
            naive["logo_churn"],
        ):
            raise RuntimeError(f"SQL {report.as_dict()} disagrees with naive {naive}")
        print(
            f"  one year: GRR {report.grr} NRR {report.nrr} logo churn {report.logo_churn} "
            f"({report.accounts} accounts in the cohort)"
        )
        year_s = _median_s(
            lambda: retention.retention_report(
                organization=organization, start=year_start, end=this_month, causes=False
            )
        )
        year_causes_s = _median_s(
            lambda: retention.retention_report(
                organization=organization, start=year_start, end=this_month
            )
        )
        year_contracts_s = _median_s(
            lambda: retention.retention_report_from_contracts(
                organization=organization, start=year_start, end=this_month, causes=False
            )
        )
        year_contracts_causes_s = _median_s(
            lambda: retention.retention_report_from_contracts(
                organization=organization, start=year_start, end=this_month
            )
        )
        series_s = _median_s(
            lambda: retention.retention_series(
                organization=organization, start=series_start, end=this_month
            )
        )
        trailing_s = _median_s(
            lambda: retention.retention_series(
                organization=organization,
                start=series_start,
                end=this_month,
                basis=retention.BASIS_TRAILING12,
            ),
            repeat=3,
        )
        grid_s = _median_s(lambda: retention.cohort_grid(organization=organization, today=today))
        bulk_s = _median_s(
            lambda: _bulk_python_year_report(organization, year_start, this_month), repeat=1
        )
        naive_s = _once_s(lambda: _naive_year_report(organization, year_start, this_month))
        contracts = Contract.objects.filter(organization=organization).count()
    figures_out += [
        {"name": "retention.accounts", "value": accounts, "unit": "accounts"},
        {"name": "retention.contracts", "value": contracts, "unit": "contracts"},
        {"name": "retention.year_report_s", "value": year_s, "unit": "s"},
        {"name": "retention.year_report_with_causes_s", "value": year_causes_s, "unit": "s"},
        {
            "name": "retention.year_report_from_contracts_s",
            "value": year_contracts_s,
            "unit": "s",
        },
        {
            "name": "retention.year_report_from_contracts_with_causes_s",
            "value": year_contracts_causes_s,
            "unit": "s",
        },
        {"name": "retention.spans_rebuild_s", "value": rebuild_s, "unit": "s"},
        {"name": "retention.spans", "value": span_rows, "unit": "rows"},
        {"name": "retention.series_36m_s", "value": series_s, "unit": "s"},
        {"name": "retention.series_36m_trailing12_s", "value": trailing_s, "unit": "s"},
        {"name": "retention.cohort_grid_s", "value": grid_s, "unit": "s"},
        {"name": "retention.naive_year_report_s", "value": naive_s, "unit": "s"},
        {"name": "retention.naive_ratio", "value": round(naive_s / year_s, 1), "unit": "x"},
        {"name": "retention.bulk_python_year_report_s", "value": bulk_s, "unit": "s"},
        {"name": "retention.bulk_python_ratio", "value": round(bulk_s / year_s, 1), "unit": "x"},
    ]
    return figures_out
