"""What an import file may contain: the kinds, their columns, and the package's limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy

from accounts.models import ImportKind

KIND_ACCOUNTS: str = ImportKind.ACCOUNTS.value
KIND_CONTACTS: str = ImportKind.CONTACTS.value
KINDS = (KIND_ACCOUNTS, KIND_CONTACTS)
KIND_CHOICES = tuple(ImportKind.choices)

MAX_FILE_BYTES = 10 * 1024 * 1024
# Bulk lookups go by chunks so an IN list stays under SQLite's bound-parameter limit.
LOOKUP_CHUNK = 2000
WRITE_BATCH = 500
EXPORT_CHUNK = 2000
# Columns the importer recognises but never writes: context in exports, our own report.
LINE_COLUMN = "import_line"
ERRORS_COLUMN = "import_errors"


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    help: Any
    aliases: tuple[str, ...] = ()
    imported: bool = True


ACCOUNT_COLUMNS: tuple[Column, ...] = (
    Column(
        "external_id",
        True,
        gettext_lazy("Your system's identifier for the customer. Re-importing updates by it."),
        ("externalid", "id_externo", "codigo_externo"),
    ),
    Column("name", True, gettext_lazy("The customer's name."), ("nome",)),
    Column(
        "owner_email",
        False,
        gettext_lazy("Email of the CSM who owns the account; a member of this workspace."),
        ("owner", "csm", "csm_email", "responsavel", "email_do_responsavel"),
    ),
    Column(
        "segment",
        False,
        gettext_lazy("smb, mid_market, enterprise or strategic (or the label, e.g. Mid-market)."),
        ("segmento", "tier"),
    ),
    Column("industry", False, gettext_lazy("Free text."), ("setor", "industria")),
    Column(
        "go_live_date",
        False,
        gettext_lazy("YYYY-MM-DD or DD/MM/YYYY."),
        ("go_live", "golive", "data_de_go_live", "data_go_live"),
    ),
    Column(
        "stage",
        False,
        gettext_lazy(
            "Ignored on import: the lifecycle engine sets the stage (change it by hand on the "
            "account's page). The export includes it for reading."
        ),
        ("etapa", "estagio", "fase"),
        imported=False,
    ),
)

CONTACT_COLUMNS: tuple[Column, ...] = (
    Column(
        "account_external_id",
        True,
        gettext_lazy("The external_id of the contact's account, which must already exist."),
        ("account_id", "account", "conta", "id_externo_da_conta"),
    ),
    Column(
        "account_name",
        False,
        gettext_lazy("Ignored on import; the export includes it for reading."),
        ("nome_da_conta",),
        imported=False,
    ),
    Column("name", True, gettext_lazy("The person's name."), ("contact_name", "nome", "contato")),
    Column(
        "email",
        False,
        gettext_lazy("Re-importing updates the account's contact with this email."),
        ("e_mail", "email_address"),
    ),
    Column(
        "phone",
        False,
        gettext_lazy("International format, e.g. +5511987654321. Email or phone is required."),
        ("phone_e_164", "telefone", "celular", "mobile", "whatsapp"),
    ),
    Column(
        "role",
        False,
        gettext_lazy("champion, executive_sponsor, admin or user (or the label)."),
        ("papel", "funcao"),
    ),
    Column("locale", False, gettext_lazy("en or pt-br."), ("language", "idioma")),
    Column(
        "is_primary",
        False,
        gettext_lazy("yes/no. One primary contact per account."),
        ("primary", "primary_contact", "principal", "contato_principal"),
    ),
    Column(
        "email_consent",
        False,
        gettext_lazy("opted_in, opted_out or unknown (also yes/no, sim/não, true/false, 1/0)."),
        ("consentimento_email", "consentimento_de_email"),
    ),
    Column(
        "whatsapp_consent",
        False,
        gettext_lazy("opted_in, opted_out or unknown (also yes/no, sim/não, true/false, 1/0)."),
        ("consentimento_whatsapp", "consentimento_de_whatsapp"),
    ),
)

COLUMNS = {KIND_ACCOUNTS: ACCOUNT_COLUMNS, KIND_CONTACTS: CONTACT_COLUMNS}
