"""The golden dataset: eight accounts whose retention over [2025-01-01, 2026-01-01) was
computed by hand (amounts in cents; 1 unit = 100 cents).

| account | contracts (start → end exclusive: ARR) | ARR_S | ARR_E | category |
|---|---|---|---|---|
| A renewed on E | 2024-01-01→2025-01-01 1000; 2025-01-01→2026-01-01 1000 (10 seats); 2026-01-01→2027-01-01 1200 (10 seats) | 1000 | 1200 | expansion (price) |
| B ends on E | 2024-06-01→2026-01-01 500 | 500 | 0 | churn |
| C churns and returns | 2024-03-01→2025-03-01 800; 2025-09-15→2026-09-15 600 | 800 | 600 | contraction |
| D upgrade then downgrade | 2024-07-01→2025-07-01 1000 (10 seats); add-on 2025-02-01→2025-07-01 300; 2025-07-01→2026-07-01 900 (9 seats) | 1000 | 900 | contraction |
| E overlapping add-ons | 2024-01-01→2027-01-01 2000; add-on 2024-06-01→2026-06-01 400; add-on 2025-05-01→2026-05-01 300 | 2400 | 2700 | expansion (add-on) |
| F new in the period | 2025-04-01→2026-04-01 700 | 0 | 700 | new (excluded) |
| G more seats | 2024-09-01→2025-09-01 1000 (10 seats); 2025-09-01→2026-09-01 1500 (15 seats) | 1000 | 1500 | expansion (seats) |
| H new plan | 2024-01-01→2025-06-01 1000 Starter; 2025-06-01→2026-06-01 1600 Enterprise | 1000 | 1600 | expansion (new plan) |

ARR_S = 7700, ARR_E (cohort) = 8500, Σ min = 6900: GRR = 6900/7700 = 0.8961,
NRR = 8500/7700 = 1.1039, logo churn = 1/7 = 0.1429; churn 500, contraction 300
(C 200 + D 100), expansion 1600 (price 200, seats 500, new plan/add-on 300 + 600 = 900).
"""

from datetime import date

from accounts.models import Segment
from renewals.models import ContractKind
from tests.accounts.factories import AccountFactory
from tests.renewals.factories import ContractFactory

START = date(2025, 1, 1)
END = date(2026, 1, 1)
U = 100  # cents per unit

EXPECTED = {
    "grr": 0.8961,
    "nrr": 1.1039,
    "logo_churn": 0.1429,
    "accounts": 7,
    "starting_arr_cents": 7700 * U,
    "ending_arr_cents": 8500 * U,
    "retained_arr_cents": 6900 * U,
    "expansion_arr_cents": 1600 * U,
    "contraction_arr_cents": 300 * U,
    "churned_arr_cents": 500 * U,
    "churned_accounts": 1,
    "new_accounts": 1,
    "new_arr_cents": 700 * U,
}
EXPECTED_BY_CAUSE = {"seats": 500 * U, "price": 200 * U, "new_plan_or_add_on": 900 * U}


def _c(account, start, end, arr, *, seats=10, plan="Pro", kind=ContractKind.BASE, **kw):
    return ContractFactory(
        account=account,
        start_date=start,
        end_date=end,
        arr_cents=arr * U,
        seats=seats,
        plan=plan,
        kind=kind,
        **kw,
    )


def golden_dataset(organization, owner=None):
    """Creates the accounts and contracts above; returns the accounts by letter."""
    extra = {"owner": owner} if owner is not None else {}
    accounts = {
        letter: AccountFactory(
            organization=organization,
            name=f"Golden {letter}",
            external_id=f"GOLD-{letter}",
            segment=Segment.ENTERPRISE if letter in "AE" else Segment.SMB,
            go_live_date=date(2024, 1, 15),
            **extra,
        )
        for letter in "ABCDEFGH"
    }
    a, b, c, d, e, f, g, h = (accounts[letter] for letter in "ABCDEFGH")
    first = _c(a, date(2024, 1, 1), date(2025, 1, 1), 1000)
    second = _c(a, date(2025, 1, 1), date(2026, 1, 1), 1000, renewed_from=first)
    _c(a, date(2026, 1, 1), date(2027, 1, 1), 1200, renewed_from=second)
    _c(b, date(2024, 6, 1), date(2026, 1, 1), 500)
    _c(c, date(2024, 3, 1), date(2025, 3, 1), 800)
    _c(c, date(2025, 9, 15), date(2026, 9, 15), 600)
    _c(d, date(2024, 7, 1), date(2025, 7, 1), 1000)
    _c(d, date(2025, 2, 1), date(2025, 7, 1), 300, seats=0, plan="", kind=ContractKind.ADD_ON)
    _c(d, date(2025, 7, 1), date(2026, 7, 1), 900, seats=9)
    _c(e, date(2024, 1, 1), date(2027, 1, 1), 2000, seats=20)
    _c(e, date(2024, 6, 1), date(2026, 6, 1), 400, seats=0, plan="", kind=ContractKind.ADD_ON)
    _c(e, date(2025, 5, 1), date(2026, 5, 1), 300, seats=0, plan="", kind=ContractKind.ADD_ON)
    _c(f, date(2025, 4, 1), date(2026, 4, 1), 700)
    _c(g, date(2024, 9, 1), date(2025, 9, 1), 1000)
    _c(g, date(2025, 9, 1), date(2026, 9, 1), 1500, seats=15)
    _c(h, date(2024, 1, 1), date(2025, 6, 1), 1000, plan="Starter")
    _c(h, date(2025, 6, 1), date(2026, 6, 1), 1600, plan="Enterprise")
    return accounts
