"""`manage.py seed_demo [--slug demo] [--accounts 300]`: a demo organization to click through.

Idempotent (see accounts.demo_data): a second run with the same arguments changes nothing.
This command is the entry point that enters the organization's scope for the tenant writes.

Higher apps add their demo data without this app importing them: an AppConfig with a
`seed_demo(*, organization, stdout)` method is called after the accounts exist, in
INSTALLED_APPS order, inside the organization's scope. Each must be idempotent too.
"""

from __future__ import annotations

import re
import time

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse
from django_scopes import scope

from accounts.demo_data import (
    DEMO_PASSWORD,
    NotADemoOrganizationError,
    demo_accounts_seed,
    demo_team_ensure,
)

# The slug becomes a mail domain label (owner@<slug>.jornada.test): letters, digits, hyphens.
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG_LENGTH = 50
MAX_ACCOUNTS = 1_000_000


class Command(BaseCommand):
    help = "Create (or complete) a demo organization with members, accounts and contacts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", default="demo", help="Organization slug (default: demo).")
        parser.add_argument(
            "--accounts", type=int, default=300, help="Number of accounts (default: 300)."
        )

    def handle(self, *args, slug: str, accounts: int, **options) -> None:
        slug = slug.strip().lower()
        if not SLUG_PATTERN.match(slug) or len(slug) > MAX_SLUG_LENGTH:
            raise CommandError(
                f"Invalid slug “{slug}”: use up to {MAX_SLUG_LENGTH} lowercase letters, "
                "digits and single hyphens."
            )
        if not 0 <= accounts <= MAX_ACCOUNTS:
            raise CommandError(f"--accounts must be between 0 and {MAX_ACCOUNTS:,}.")

        started = time.monotonic()
        try:
            team = demo_team_ensure(slug=slug)
        except NotADemoOrganizationError:
            raise CommandError(
                f"Organization “{slug}” exists and was not created by seed_demo; "
                "choose another --slug."
            ) from None
        organization = team.organization
        with scope(organization=organization):
            result = demo_accounts_seed(
                organization=organization,
                book_owners=team.book_owners,
                account_count=accounts,
            )
            for app_config in apps.get_app_configs():
                seeder = getattr(app_config, "seed_demo", None)
                if seeder is not None:
                    seeder(organization=organization, stdout=self.stdout)
        elapsed = time.monotonic() - started

        totals = f"{result.account_count:,} accounts, {result.contact_count:,} contacts"
        label = f"demo organization “{organization.name}” (slug {organization.slug})"
        if team.created:
            self.stdout.write(self.style.SUCCESS(f"Created {label}: {totals}"))
        elif result.changed:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Completed {label}: added {result.accounts_created:,} accounts and "
                    f"{result.contacts_created:,} contacts; now {totals}"
                )
            )
        else:
            self.stdout.write(f"The {label} already exists; nothing changed: {totals}")
        if options["verbosity"] > 1:
            self.stdout.write(f"({elapsed:.2f} s)")

        self.stdout.write(f"Sign in at {settings.SITE_URL}{reverse('account_login')} with any of:")
        role_width = max(len(login.role.value) for login in team.logins)
        email_width = max(len(login.email) for login in team.logins)
        for login in team.logins:
            self.stdout.write(
                f"  {login.role.value:<{role_width}}  {login.email:<{email_width}}  {DEMO_PASSWORD}"
            )
