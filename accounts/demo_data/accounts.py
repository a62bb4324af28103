"""Seeding the demo accounts and contacts (tenant rows; runs inside the organization's
scope, entered by the caller)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from accounts.demo_data.book import EXTERNAL_ID_PREFIX, _demo_book, demo_external_id
from accounts.models import Account, Contact
from tenancy.models import Membership, Organization

BATCH_SIZE = 2000  # accounts generated and flushed per round
INSERT_BATCH_SIZE = 1000  # rows per INSERT statement


@dataclass(frozen=True)
class DemoSeedResult:
    accounts_created: int
    contacts_created: int
    account_count: int
    contact_count: int

    @property
    def changed(self) -> bool:
        return bool(self.accounts_created or self.contacts_created)


@transaction.atomic
def demo_accounts_seed(
    *,
    organization: Organization,
    book_owners: tuple[tuple[Membership, int], ...],
    account_count: int,
) -> DemoSeedResult:
    """Create the demo accounts 1..account_count that do not exist yet, with their contacts.

    Runs inside `organization`'s scope. Rows go in with `bulk_create`, BATCH_SIZE accounts
    at a time, so 100k accounts are a few hundred INSERTs, not a save() per row.
    """
    for membership, _weight in book_owners:
        if membership.organization_id != organization.id:
            raise ValueError("Account owners must be members of the organization.")
    existing = set(
        Account.objects.filter(
            organization=organization, external_id__startswith=EXTERNAL_ID_PREFIX
        ).values_list("external_id", flat=True)
    )
    # The stream is walked from account 1 so each account gets its usual values; it stops at
    # the last missing one, and is not walked at all when nothing is missing.
    last_missing = max(
        (i for i in range(1, account_count + 1) if demo_external_id(i) not in existing),
        default=0,
    )
    accounts_created = contacts_created = 0
    pending: list[tuple[Account, list[Contact]]] = []

    def flush() -> None:
        nonlocal accounts_created, contacts_created
        if not pending:
            return
        accounts = Account.objects.bulk_create(
            [account for account, _contacts in pending], batch_size=INSERT_BATCH_SIZE
        )
        rows = []
        for account, contacts in pending:
            for contact in contacts:
                contact.account = account
                rows.append(contact)
        Contact.objects.bulk_create(rows, batch_size=INSERT_BATCH_SIZE)
        accounts_created += len(accounts)
        contacts_created += len(rows)
        pending.clear()

    for account, contacts in _demo_book(
        organization=organization, owners=book_owners, account_count=last_missing
    ):
        if account.external_id in existing:
            continue
        pending.append((account, contacts))
        if len(pending) >= BATCH_SIZE:
            flush()
    flush()
    return DemoSeedResult(
        accounts_created=accounts_created,
        contacts_created=contacts_created,
        account_count=Account.objects.filter(organization=organization).count(),
        contact_count=Contact.objects.filter(organization=organization).count(),
    )
