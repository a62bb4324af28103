"""Trigram index for the account search box (`name ILIKE '%term%'`) on PostgreSQL.

Django's `icontains` compiles to `UPPER(name) LIKE UPPER('%term%')`, so the index is on
`UPPER(name)`; btree_gin lets it lead with organization_id like every other index. SQLite
(the embedded default) has no such index type and keeps its plain scan.
"""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE EXTENSION IF NOT EXISTS btree_gin",
    "CREATE INDEX IF NOT EXISTS account_org_name_trgm ON accounts_account "
    "USING gin (organization_id, (UPPER(name::text)) gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS account_org_name_trgm"]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in CREATE:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_importjob")]

    operations = [migrations.RunPython(forwards, backwards)]
