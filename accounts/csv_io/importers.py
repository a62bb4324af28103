"""Per-kind import logic: parse each row, check across rows and against the database, write.

The valid rows are written in one transaction, set-based; `run` reports validation progress
before that transaction opens, so a caller can commit it where others can see it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.csv_io.cells import (
    _boolean,
    _choice,
    _chunks,
    _date,
    _duplicates,
    _email,
    _lines,
    _Row,
)
from accounts.csv_io.columns import KIND_ACCOUNTS, KIND_CONTACTS, WRITE_BATCH
from accounts.models import Account, Consent, Contact, Segment
from accounts.signals import go_live_changed
from accounts.validators import phone_normalize, region_for_organization
from tenancy.models import Membership, Organization, Role, User
from tenancy.services import audit_record

# Rows between two progress reports: about a hundred small writes for the largest file.
PROGRESS_EVERY = 500


class _Import:
    kind = ""
    action = ""

    def __init__(
        self, *, organization: Organization, actor: User | None, rows: list[_Row], filename: str
    ):
        self.organization = organization
        self.actor = actor
        self.rows = rows
        self.filename = filename

    def run(self, progress: Callable[[int, int], None] | None = None) -> tuple[int, int, int]:
        total = len(self.rows)
        parsed: list[tuple[_Row, dict[str, Any]]] = []
        for checked, row in enumerate(self.rows, start=1):
            # A row with too many values is misaligned: its cells are not worth reading.
            if not row.messages:
                parsed.append((row, self.parse(row)))
            if progress is not None and checked % PROGRESS_EVERY == 0 and checked < total:
                progress(checked, total)
        self.check(parsed)
        if progress is not None:
            progress(total, total)
        valid = [(row, fields) for row, fields in parsed if not row.messages]
        if not valid:
            return 0, 0, 0
        with transaction.atomic():
            created, updated, unchanged = self.write(valid)
            if created or updated:
                audit_record(
                    organization=self.organization,
                    actor=self.actor,
                    action=self.action,
                    target=self.organization,
                    after={
                        "file": self.filename[:200],
                        "rows": len(self.rows),
                        "created": created,
                        "updated": updated,
                        "unchanged": unchanged,
                        "rejected": sum(1 for row in self.rows if row.messages),
                    },
                )
        return created, updated, unchanged

    def parse(self, row: _Row) -> dict[str, Any]:
        raise NotImplementedError

    def check(self, parsed: list[tuple[_Row, dict[str, Any]]]) -> None:
        """Cross-row and database checks; add messages to the rows they reject."""

    def write(self, valid: list[tuple[_Row, dict[str, Any]]]) -> tuple[int, int, int]:
        raise NotImplementedError


class _AccountImport(_Import):
    kind = KIND_ACCOUNTS
    action = "accounts.imported"

    def parse(self, row: _Row) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "external_id": row.text("external_id", 100, required=True),
            "name": row.text("name", 200, required=True),
        }
        owner_email = row.text("owner_email", 254).lower()
        if owner_email:
            fields["owner_email"] = owner_email
        industry = row.text("industry", 100)
        if industry:
            fields["industry"] = industry
        optional = {
            "segment": _choice(row, "segment", Segment),
            "go_live_date": _date(row, "go_live_date"),
        }
        fields.update({name: value for name, value in optional.items() if value is not None})
        return fields

    def check(self, parsed: list[tuple[_Row, dict[str, Any]]]) -> None:
        keyed = [(fields["external_id"], row) for row, fields in parsed if fields["external_id"]]
        for external_id, rows in _duplicates(keyed).items():
            message = _(
                "“%(value)s” appears on lines %(lines)s; each external ID may appear only once "
                "in a file."
            ) % {"value": external_id, "lines": _lines([row.line for row in rows])}
            for row in rows:
                row.error("external_id", message)

        emails = sorted(
            {fields["owner_email"] for _row, fields in parsed if "owner_email" in fields}
        )
        owners = self._owners(emails)
        for row, fields in parsed:
            email = fields.pop("owner_email", None)
            if email is None:
                continue
            owner = owners.get(email)
            if owner is None:
                row.error(
                    "owner_email",
                    _("“%(value)s” is not a member of this workspace.") % {"value": email},
                )
            elif owner.role == Role.VIEWER:
                row.error(
                    "owner_email",
                    _("“%(value)s” is a viewer and cannot own accounts.") % {"value": email},
                )
            else:
                fields["owner_id"] = owner.pk

    def _owners(self, emails: list[str]) -> dict[str, Membership]:
        owners: dict[str, Membership] = {}
        for chunk in _chunks(emails):
            memberships = (
                Membership.objects.filter(organization=self.organization)
                .annotate(email_lower=Lower("user__email"))
                .filter(email_lower__in=chunk)
            )
            owners.update({membership.email_lower: membership for membership in memberships})
        return owners

    def write(self, valid: list[tuple[_Row, dict[str, Any]]]) -> tuple[int, int, int]:
        external_ids = [fields["external_id"] for _row, fields in valid]
        existing: dict[str, Account] = {}
        for chunk in _chunks(external_ids):
            accounts = Account.objects.filter(
                organization=self.organization, external_id__in=chunk
            ).select_for_update()
            existing.update({account.external_id: account for account in accounts})

        now = timezone.now()
        to_create: list[Account] = []
        to_update: list[Account] = []
        changed_fields: set[str] = set()
        go_live_changes: list[tuple[int, Any, Any]] = []
        unchanged = 0
        for _row, fields in valid:
            account = existing.get(fields["external_id"])
            if account is None:
                to_create.append(
                    Account(organization=self.organization, stage_entered_at=now, **fields)
                )
                continue
            changed = [name for name, value in fields.items() if getattr(account, name) != value]
            if not changed:
                unchanged += 1
                continue
            if "go_live_date" in changed:
                go_live_changes.append((account.pk, account.go_live_date, fields["go_live_date"]))
            for name in changed:
                setattr(account, name, fields[name])
            account.updated_at = now
            changed_fields.update(changed)
            to_update.append(account)

        Account.objects.bulk_create(to_create, batch_size=WRITE_BATCH)
        if to_update:
            Account.objects.bulk_update(
                to_update,
                fields=sorted(changed_fields | {"updated_at"}),
                batch_size=WRITE_BATCH,
            )
        go_live_changes.extend(
            (account.pk, None, account.go_live_date)
            for account in to_create
            if account.go_live_date is not None
        )
        if go_live_changes:
            # Once per import, inside its transaction (accounts.signals).
            go_live_changed.send(
                sender=Account, organization=self.organization, changes=go_live_changes
            )
        return len(to_create), len(to_update), unchanged


class _ContactImport(_Import):
    kind = KIND_CONTACTS
    action = "contacts.imported"

    def parse(self, row: _Row) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "account_external_id": row.text("account_external_id", 100, required=True),
            "name": row.text("name", 200, required=True),
        }
        email = _email(row, "email") if len(row.get("email")) <= 254 else row.text("email", 254)
        phone = ""
        if row.get("phone"):
            try:
                phone = phone_normalize(
                    row.get("phone"), default_region=region_for_organization(self.organization)
                )
            except ValidationError as exc:
                row.error("phone", exc.messages[0])
        if not row.get("email") and not row.get("phone"):
            row.messages.append(_("email or phone: give at least one of them."))
        if email:
            fields["email"] = email
        if phone:
            fields["phone"] = phone
        optional = {
            "role": _choice(row, "role", Contact.ContactRole),
            "locale": _choice(row, "locale", Contact.Locale),
            "is_primary": _boolean(row, "is_primary"),
            "email_consent": _choice(row, "email_consent", Consent),
            "whatsapp_consent": _choice(row, "whatsapp_consent", Consent),
        }
        fields.update({name: value for name, value in optional.items() if value is not None})
        for channel in ("email_consent", "whatsapp_consent"):
            # "unknown" is no news: it never replaces a recorded opt-in or opt-out.
            if fields.get(channel) == Consent.UNKNOWN:
                del fields[channel]
        return fields

    @staticmethod
    def _key(fields: dict[str, Any]) -> tuple[str, str, str] | None:
        if fields.get("email"):
            return (fields["account_external_id"], "email", fields["email"])
        if fields.get("phone"):
            return (fields["account_external_id"], "phone", fields["phone"])
        return None

    def check(self, parsed: list[tuple[_Row, dict[str, Any]]]) -> None:
        keyed = [(key, row) for row, fields in parsed if (key := self._key(fields))]
        for (_account, channel, value), rows in _duplicates(keyed).items():
            message = _(
                "“%(value)s” appears on lines %(lines)s for the same account; each contact may "
                "appear only once in a file."
            ) % {"value": value, "lines": _lines([row.line for row in rows])}
            for row in rows:
                row.error(channel, message)

        primaries = [
            (fields["account_external_id"], row)
            for row, fields in parsed
            if fields.get("is_primary") and fields["account_external_id"]
        ]
        for external_id, rows in _duplicates(primaries).items():
            message = _(
                "account “%(value)s” has more than one primary contact in this file (lines "
                "%(lines)s)."
            ) % {"value": external_id, "lines": _lines([row.line for row in rows])}
            for row in rows:
                row.error("is_primary", message)

        external_ids = sorted(
            {
                fields["account_external_id"]
                for _row, fields in parsed
                if fields["account_external_id"]
            }
        )
        accounts: dict[str, int] = {}
        for chunk in _chunks(external_ids):
            accounts.update(
                Account.objects.filter(
                    organization=self.organization, external_id__in=chunk
                ).values_list("external_id", "pk")
            )
        for row, fields in parsed:
            external_id = fields.pop("account_external_id")
            if not external_id:
                continue
            account_id = accounts.get(external_id)
            if account_id is None:
                row.error(
                    "account_external_id",
                    _("no account with external ID “%(value)s” in this workspace.")
                    % {"value": external_id},
                )
            fields["account_id"] = account_id

    def write(self, valid: list[tuple[_Row, dict[str, Any]]]) -> tuple[int, int, int]:
        account_ids = sorted({fields["account_id"] for _row, fields in valid})
        by_email: dict[tuple[int, str], Contact] = {}
        by_phone: dict[tuple[int, str], Contact] = {}
        existing: list[Contact] = []
        for chunk in _chunks(account_ids):
            existing.extend(
                Contact.objects.filter(
                    organization=self.organization, account_id__in=chunk
                ).select_for_update()
            )
        # A phone-only row matches the contact without an email first.
        for known in sorted(existing, key=lambda known: (known.email != "", known.pk)):
            if known.email:
                by_email.setdefault((known.account_id, known.email.lower()), known)
            if known.phone:
                by_phone.setdefault((known.account_id, known.phone), known)

        now = timezone.now()
        default_locale = (
            self.organization.locale
            if self.organization.locale in Contact.Locale.values
            else Contact.Locale.PT_BR
        )
        to_create: list[Contact] = []
        to_update: list[Contact] = []
        matched: dict[int, int] = {}
        changed_fields: set[str] = set()
        unchanged = 0
        for row, fields in valid:
            account_id = fields["account_id"]
            contact = None
            if fields.get("email"):
                contact = by_email.get((account_id, fields["email"]))
            if contact is None and fields.get("phone"):
                candidate = by_phone.get((account_id, fields["phone"]))
                if candidate is not None and (not fields.get("email") or not candidate.email):
                    contact = candidate
            if contact is not None and contact.pk in matched:
                row.error(
                    "phone",
                    _("matches the same contact as line %(line)s.") % {"line": matched[contact.pk]},
                )
                continue
            if contact is None:
                new = Contact(
                    organization=self.organization, **{"locale": default_locale, **fields}
                )
                for channel in ("email", "whatsapp"):
                    if fields.get(f"{channel}_consent"):
                        setattr(new, f"{channel}_consent_at", now)
                to_create.append(new)
                continue
            matched[contact.pk] = row.line
            changed = [
                name
                for name, value in fields.items()
                if (getattr(contact, name).lower() if name == "email" else getattr(contact, name))
                != value
            ]
            if not changed:
                unchanged += 1
                continue
            for name in list(changed):
                setattr(contact, name, fields[name])
                if name in ("email_consent", "whatsapp_consent"):
                    setattr(contact, f"{name}_at", now)
                    changed.append(f"{name}_at")
            contact.updated_at = now
            changed_fields.update(changed)
            to_update.append(contact)

        Contact.objects.bulk_create(to_create, batch_size=WRITE_BATCH)
        if to_update:
            Contact.objects.bulk_update(
                to_update,
                fields=sorted(changed_fields | {"updated_at"}),
                batch_size=WRITE_BATCH,
            )
        primaries = [contact for contact in (*to_create, *to_update) if contact.is_primary]
        for chunk in _chunks(primaries):
            Contact.objects.filter(
                organization=self.organization,
                account_id__in={contact.account_id for contact in chunk},
                is_primary=True,
            ).exclude(pk__in=[contact.pk for contact in chunk]).update(is_primary=False)
        return len(to_create), len(to_update), unchanged
