"""`manage.py create_api_key --org SLUG --name NAME --scopes read[,write]`.

Prints the clear key once, alone on the last line of stdout (scripts take `| tail -n 1`); only
its prefix and SHA-256 are stored. This command enters the organization's scope.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_scopes import scope

from tenancy.models import ApiKey, Organization
from tenancy.services import api_key_create

KNOWN_SCOPES = {ApiKey.Scope.READ.value, ApiKey.Scope.WRITE.value}
MAX_NAME_LENGTH = ApiKey._meta.get_field("name").max_length


def scope_from_argument(value: str) -> ApiKey.Scope:
    """`read` → a read-only key; `write` or `read,write` → a read-and-write key."""
    requested = {item.strip().lower() for item in value.split(",") if item.strip()}
    unknown = requested - KNOWN_SCOPES
    if not requested or unknown:
        raise CommandError(f"Invalid --scopes “{value}”: use read, write or read,write.")
    return ApiKey.Scope.WRITE if ApiKey.Scope.WRITE in requested else ApiKey.Scope.READ


class Command(BaseCommand):
    help = "Create an API key for an organization and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="Organization slug.")
        parser.add_argument("--name", required=True, help="What the key is for, e.g. “CRM sync”.")
        parser.add_argument(
            "--scopes",
            default="read",
            help="read (default), write, or read,write. Write keys can also read.",
        )

    def handle(self, *args, org: str, name: str, scopes: str, **options) -> None:
        key_scope = scope_from_argument(scopes)
        name = name.strip()
        if not name or len(name) > MAX_NAME_LENGTH:
            raise CommandError(f"--name must be 1 to {MAX_NAME_LENGTH} characters.")
        organization = Organization.objects.filter(slug=org.strip()).first()
        if organization is None:
            raise CommandError(f"No organization with slug “{org}”.")

        with scope(organization=organization):
            issued = api_key_create(
                organization=organization, name=name, scope=key_scope, actor=None
            )

        access = "read-and-write" if issued.api_key.can_write else "read-only"
        self.stdout.write(
            f"Created {access} key “{issued.api_key.name}” (prefix {issued.api_key.prefix}) "
            f"for {organization.name} ({organization.slug}); store it now, it is not shown again:"
        )
        self.stdout.write(issued.key)
