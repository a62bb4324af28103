"""Demo data: a deterministic, realistic customer book for a demo organization.

Contract:
- Everything is drawn from one `random.Random(slug)` stream, walked over *all* requested
  accounts in order (existing ones included), so the same slug and count always describe the
  same accounts and contacts; only dates move with the day the seed runs.
- Seeding is idempotent: members are found by email, accounts by `external_id`
  (`DEMO-0001`, …); what exists is left untouched, what is missing is created. A second run
  creates nothing.
- Demo users live under `@<slug>.jornada.test` and share one published password. An existing
  organization is only seeded when its owner is that demo owner, so the command can never
  pour demo rows into a real tenant that happens to use the slug.
- Names, industries and phones are hand-written lists (Faker is a dev-only dependency);
  phones are Brazilian mobiles in E.164 (`+55` + a real DDD + a 9-digit number starting
  with 9) that `phonenumbers.is_valid_number` accepts.

`demo_team_ensure` writes control-plane rows only (users, organization, memberships) and
needs no scope; `demo_accounts_seed` writes tenant rows and runs inside the organization's
scope, entered by the caller (the management command).

Modules: `names` (hand-written lists), `team` (users, organization, memberships),
`book` (the deterministic account book), `accounts` (the seed that writes it). Import from
the package.
"""

from accounts.demo_data.accounts import (
    BATCH_SIZE,
    INSERT_BATCH_SIZE,
    DemoSeedResult,
    demo_accounts_seed,
)
from accounts.demo_data.book import (
    CONTACTS_PER_SEGMENT,
    EXTERNAL_ID_PREFIX,
    SEGMENTS,
    UNASSIGNED_SHARE,
    demo_external_id,
)
from accounts.demo_data.team import (
    DEMO_EMAIL_DOMAIN,
    DEMO_MEMBERS,
    DEMO_PASSWORD,
    DemoLogin,
    DemoMember,
    DemoTeam,
    NotADemoOrganizationError,
    demo_email,
    demo_organization_name,
    demo_team_ensure,
)

__all__ = [
    "BATCH_SIZE",
    "CONTACTS_PER_SEGMENT",
    "DEMO_EMAIL_DOMAIN",
    "DEMO_MEMBERS",
    "DEMO_PASSWORD",
    "EXTERNAL_ID_PREFIX",
    "INSERT_BATCH_SIZE",
    "SEGMENTS",
    "UNASSIGNED_SHARE",
    "DemoLogin",
    "DemoMember",
    "DemoSeedResult",
    "DemoTeam",
    "NotADemoOrganizationError",
    "demo_accounts_seed",
    "demo_email",
    "demo_external_id",
    "demo_organization_name",
    "demo_team_ensure",
]
