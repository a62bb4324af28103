# Drops the single-column organization indexes of Event, EventDaily, HealthDirty, HealthScore
# and HealthSnapshot: every other index of these tables starts with organization. Only the index is dropped (AlterField would also drop
# and re-validate the foreign key over the whole event table).

import django.db.models.deletion
from django.db import migrations, models

INDEXES = [
    ("healthscore_event", "healthscore_event_organization_id_39c69c01"),
    ("healthscore_eventdaily", "healthscore_eventdaily_organization_id_d5138e26"),
    ("healthscore_healthdirty", "healthscore_healthdirty_organization_id_61a1af24"),
    ("healthscore_healthscore", "healthscore_healthscore_organization_id_f694c339"),
    ("healthscore_healthsnapshot", "healthscore_healthsnapshot_organization_id_aca32950"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("healthscore", "0001_initial"),
        ("tenancy", "0002_idempotency_record"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{index}"',
                    reverse_sql=f'CREATE INDEX "{index}" ON "{table}" ("organization_id")',
                )
                for table, index in INDEXES
            ],
            state_operations=[
                migrations.AlterField(
                    model_name=model,
                    name="organization",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tenancy.organization",
                    ),
                )
                for model in ("event", "eventdaily", "healthdirty", "healthscore", "healthsnapshot")
            ],
        ),
    ]
