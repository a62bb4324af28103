"""ARR spans (renewals.ArrSpan): exact rows of a hand-made history, the rebuild's idempotence
and isolation, and every contract write path keeping the span-based reports equal to the
contract-based reference (retention_report_from_contracts)."""

import importlib
from datetime import date, timedelta

import pytest
from django.db import connection

from renewals import retention, services
from renewals.csv_import import contracts_import
from renewals.models import ArrSpan, ContractKind, ContractStatus, OpportunityStage
from renewals.retention import RetentionFilters
from tests.accounts.factories import AccountFactory
from tests.renewals.factories import ContractFactory, OpportunityFactory
from tests.renewals.golden import END, START, golden_dataset

pytestmark = pytest.mark.django_db
PERIODS = [
    (date(2025, 1, 1), date(2026, 1, 1)),
    (date(2024, 6, 1), date(2025, 6, 1)),
    (date(2025, 3, 1), date(2025, 6, 1)),
    (date(2026, 1, 1), date(2027, 3, 1)),
]


def _rows(org, account=None):
    spans = ArrSpan.objects.filter(organization=org)
    if account is not None:
        spans = spans.filter(account=account)
    return list(
        spans.order_by("account_id", "valid_from").values_list(
            "account_id",
            "valid_from",
            "valid_to",
            "arr_cents",
            "base_arr_cents",
            "base_seats",
            "base_plan",
        )
    )


def _assert_spans_current_and_reports_equal(org, in_scope):
    """The stored spans equal a fresh rebuild, and the span-based single-period readers give
    what the contracts give, for several periods, with and without the causes."""
    with in_scope(org):
        stored = _rows(org)
        services.arr_spans_refresh(organization=org)
        assert _rows(org) == stored
        for start, end in PERIODS:
            for causes in (True, False):
                by_spans = retention.retention_report(
                    organization=org, start=start, end=end, causes=causes
                )
                by_contracts = retention.retention_report_from_contracts(
                    organization=org, start=start, end=end, causes=causes
                )
                assert by_spans == by_contracts, (start, end, causes)


def test_spans_of_a_hand_made_history(org, in_scope):
    # given: a renewal at the same terms (merged), a mid-term add-on, a void contract, a gap,
    # an upgrade after the gap, a trailing add-on alone, a zero-ARR pilot
    account = AccountFactory(organization=org)
    first = ContractFactory(
        account=account, start_date=date(2024, 1, 1), end_date=date(2025, 1, 1), arr_cents=1000
    )
    ContractFactory(
        account=account,
        start_date=date(2025, 1, 1),
        end_date=date(2026, 1, 1),
        arr_cents=1000,
        renewed_from=first,
    )
    ContractFactory(
        account=account,
        kind=ContractKind.ADD_ON,
        start_date=date(2025, 3, 1),
        end_date=date(2025, 6, 1),
        arr_cents=300,
        seats=0,
        plan="",
    )
    ContractFactory(
        account=account,
        start_date=date(2026, 1, 1),
        end_date=date(2026, 3, 1),
        arr_cents=999,
        status=ContractStatus.VOID,
    )
    ContractFactory(
        account=account,
        start_date=date(2026, 3, 1),
        end_date=date(2027, 3, 1),
        arr_cents=1500,
        seats=15,
        plan="Enterprise",
    )
    ContractFactory(
        account=account,
        kind=ContractKind.ADD_ON,
        start_date=date(2027, 3, 1),
        end_date=date(2027, 4, 1),
        arr_cents=200,
        seats=0,
        plan="Extra",
    )
    pilot = AccountFactory(organization=org)
    ContractFactory(
        account=pilot, start_date=date(2025, 5, 1), end_date=date(2025, 8, 1), arr_cents=0
    )

    # when: the spans are rebuilt for the whole organization
    with in_scope(org):
        written = services.arr_spans_refresh(organization=org)
        rows = _rows(org)

    # then: maximal intervals of constant values, no row in the gap, void ignored
    a, p = account.pk, pilot.pk
    assert rows == [
        (a, date(2024, 1, 1), date(2025, 3, 1), 1000, 1000, 10, "Pro"),
        (a, date(2025, 3, 1), date(2025, 6, 1), 1300, 1000, 10, "Pro"),
        (a, date(2025, 6, 1), date(2026, 1, 1), 1000, 1000, 10, "Pro"),
        (a, date(2026, 3, 1), date(2027, 3, 1), 1500, 1500, 15, "Enterprise"),
        (a, date(2027, 3, 1), date(2027, 4, 1), 200, 0, 0, ""),
        (p, date(2025, 5, 1), date(2025, 8, 1), 0, 0, 10, "Pro"),
    ]
    assert written == 6


def test_refresh_twice_gives_the_same_rows(org, in_scope):
    golden_dataset(org)
    with in_scope(org):
        first = services.arr_spans_refresh(organization=org)
        rows = _rows(org)
        second = services.arr_spans_refresh(organization=org)
        again = _rows(org)

    assert first == second == len(rows) == 18  # golden.py: A 2, B 1, C 2, D 3, E 5, F 1, G 2, H 2
    assert again == rows


def test_refresh_of_some_accounts_leaves_the_others_and_other_organizations(
    org, other_org, in_scope
):
    accounts = golden_dataset(org)
    other = ContractFactory(account__organization=other_org)
    with in_scope(other_org):
        theirs = _rows(other_org)
    with in_scope(org):
        ArrSpan.objects.filter(organization=org).delete()
        written = services.arr_spans_refresh(
            organization=org, account_ids=[accounts["A"].pk, accounts["B"].pk, other.account_id]
        )
        rows = _rows(org)
    with in_scope(other_org):
        theirs_after = _rows(other_org)

    # A: 1000 until 2026-01-01, 1200 until 2027-01-01; B: 500. The other org's id matched nothing.
    assert written == 3
    assert {row[0] for row in rows} == {accounts["A"].pk, accounts["B"].pk}
    assert theirs_after == theirs
    assert len(theirs) == 1


def test_empty_account_list_writes_nothing(org, in_scope, django_assert_num_queries):
    with in_scope(org), django_assert_num_queries(0):
        assert services.arr_spans_refresh(organization=org, account_ids=[]) == 0


def test_refresh_is_two_statements_whatever_the_number_of_accounts(org, in_scope):
    # (+2 statement-local settings for a whole organization on PostgreSQL)
    from django.test.utils import CaptureQueriesContext

    small = [ContractFactory(account__organization=org).account_id]
    large = [ContractFactory(account__organization=org).account_id for _ in range(12)]
    counts = []
    with in_scope(org):
        for ids in (small, large, None):
            with CaptureQueriesContext(connection) as queries:
                services.arr_spans_refresh(organization=org, account_ids=ids)
            counts.append(len(queries))

    assert counts == [2, 2, 4 if connection.vendor == "postgresql" else 2]


def test_golden_dataset_spans_and_contracts_agree_on_every_reader(org, in_scope):
    golden_dataset(org)
    with in_scope(org):
        for dimension in retention.DIMENSIONS:
            by_spans = retention.retention_breakdown(
                organization=org, start=START, end=END, dimension=dimension
            )
            assert len(by_spans) >= 1
        enterprise = RetentionFilters(segment="enterprise")
        assert retention.retention_report(
            organization=org, start=START, end=END, filters=enterprise
        ) == retention.retention_report_from_contracts(
            organization=org, start=START, end=END, filters=enterprise
        )
        assert retention.arr_total(organization=org, day=START) == 7700 * 100
        assert retention.arr_total(organization=org, day=END) == 9200 * 100
    _assert_spans_current_and_reports_equal(org, in_scope)


def test_contract_create_edit_void_and_move_keep_spans_current(org, member, in_scope):
    from tenancy.models import Role

    actor = member(Role.CSM).user
    golden_dataset(org)
    newcomer = AccountFactory(organization=org)
    with in_scope(org):
        created = services.contract_create(
            organization=org,
            actor=actor,
            account=newcomer,
            kind=ContractKind.BASE,
            start_date=date(2024, 11, 1),
            end_date=date(2025, 11, 1),
            arr_cents=90_000,
            seats=3,
            plan="Pro",
        )
    _assert_spans_current_and_reports_equal(org, in_scope)

    with in_scope(org):
        services.contract_update(
            organization=org, contract=created, actor=actor, arr_cents=150_000, seats=5
        )
    _assert_spans_current_and_reports_equal(org, in_scope)

    other = AccountFactory(organization=org)
    with in_scope(org):
        services.contract_update(organization=org, contract=created, actor=actor, account=other)
        assert _rows(org, newcomer) == []
        assert len(_rows(org, other)) == 1
    _assert_spans_current_and_reports_equal(org, in_scope)

    with in_scope(org):
        services.contract_update(
            organization=org, contract=created, actor=actor, status=ContractStatus.VOID
        )
        assert _rows(org, other) == []
    _assert_spans_current_and_reports_equal(org, in_scope)


@pytest.mark.parametrize(
    ("outcome", "terms", "spans"),
    [
        (OpportunityStage.RENEWED, None, 1),  # same terms: merged with the old contract's
        (OpportunityStage.DOWNSELL, {"arr_cents": 900_000, "seats": 9}, 2),
        (OpportunityStage.RENEWED, {"arr_cents": 1_500_000, "plan": "Enterprise"}, 2),
        (OpportunityStage.CHURNED, None, 1),  # the contract still ends on its end date
    ],
)
def test_closing_a_renewal_keeps_spans_current(outcome, terms, spans, org, in_scope):
    opportunity = OpportunityFactory(
        contract__account__organization=org,
        contract__start_date=date(2025, 4, 1),
        contract__end_date=date(2026, 4, 1),
        contract__arr_cents=1_200_000,
        contract__seats=12,
    )
    with in_scope(org):
        services.renewal_close(
            organization=org,
            opportunity=opportunity,
            outcome=outcome,
            actor=None,
            terms=services.RenewalTerms(**terms) if terms else None,
        )
        rows = _rows(org)

    assert len(rows) == spans
    assert rows[-1][2] == (
        date(2026, 4, 1) if outcome == OpportunityStage.CHURNED else date(2027, 4, 1)
    )
    _assert_spans_current_and_reports_equal(org, in_scope)


def test_won_expansion_keeps_spans_current(org, in_scope):
    today = services.organization_today(org)
    base = ContractFactory(
        account__organization=org,
        start_date=today - timedelta(days=100),
        end_date=today + timedelta(days=265),
        arr_cents=1_000_000,
    )
    with in_scope(org):
        opportunity = services.expansion_opportunity_create(
            organization=org, account=base.account, actor=None, title="Seats", amount_cents=200_000
        )
        services.expansion_close(
            organization=org,
            opportunity=opportunity,
            outcome=OpportunityStage.WON,
            actor=None,
            terms=services.AddOnTerms(seats=5, plan="Seats pack"),
        )
        rows = _rows(org)

    assert [(r[1], r[2], r[3], r[4]) for r in rows] == [
        (today - timedelta(days=100), today, 1_000_000, 1_000_000),
        (today, today + timedelta(days=265), 1_200_000, 1_000_000),
    ]
    _assert_spans_current_and_reports_equal(org, in_scope)


def test_csv_import_keeps_spans_current(org, in_scope):
    golden_dataset(org)
    AccountFactory(organization=org, external_id="ACC-1")
    content = (
        b"account_external_id,start_date,end_date,arr,kind,seats,plan,contract_external_id\n"
        b"ACC-1,2025-01-01,2026-01-01,12000.00,base,10,Pro,K-1\n"
        b"ACC-1,2025-03-01,2026-01-01,1500.50,add_on,,Extra,K-2\n"
        b"GOLD-B,2026-01-01,2027-01-01,450,base,5,Pro,K-3\n"
    )
    with in_scope(org):
        report = contracts_import(organization=org, actor=None, content=content)
    assert (report.created, report.rejected) == (3, 0)
    _assert_spans_current_and_reports_equal(org, in_scope)

    # an update by contract_external_id (dates and ARR change) and a void
    content = (
        b"account_external_id,start_date,end_date,arr,kind,seats,plan,status,contract_external_id\n"
        b"ACC-1,2024-07-01,2025-07-01,8000,base,10,Pro,active,K-1\n"
        b"ACC-1,2025-03-01,2026-01-01,1500.50,add_on,,Extra,void,K-2\n"
    )
    with in_scope(org):
        report = contracts_import(organization=org, actor=None, content=content)
    assert (report.updated, report.rejected) == (2, 0)
    _assert_spans_current_and_reports_equal(org, in_scope)


def test_deleting_an_account_deletes_its_spans(org, in_scope):
    contract = ContractFactory(account__organization=org)
    with in_scope(org):
        contract.account.delete()
        assert ArrSpan.objects.filter(organization=org).count() == 0


def test_the_migration_builds_the_same_spans_as_the_service(org, other_org, in_scope):
    golden_dataset(org)
    ContractFactory(account__organization=other_org, arr_cents=5)
    migration = importlib.import_module("renewals.migrations.0003_arr_spans")
    with in_scope(org):
        mine = _rows(org)
    with in_scope(other_org):
        theirs = _rows(other_org)

    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {ArrSpan._meta.db_table}")  # noqa: S608
        cursor.execute(migration.BUILD_SPANS)

    with in_scope(org):
        assert _rows(org) == mine
    with in_scope(other_org):
        assert _rows(other_org) == theirs
