from django.db import migrations, models

OLD = [
    models.Index(fields=("account", "-start_time", "-id"), name="call_account_start"),
    models.Index(fields=("company", "-start_time", "-id"), name="call_company_start"),
]
NEW = [
    models.Index(
        fields=("account", "-start_time", "-id"), condition=models.Q(spam=False), name="call_account_log"
    ),
    models.Index(
        fields=("company", "-start_time", "-id"), condition=models.Q(spam=False), name="call_company_log"
    ),
]


def _swap(schema_editor, model, add: list, remove: list) -> None:
    # CONCURRENTLY on PostgreSQL: calls keep being recorded while the indexes build (a
    # plain CREATE INDEX holds off every insert into the table until it is done). The
    # new indexes exist before the old ones go, so the call log never lacks one.
    options = {"concurrently": True} if schema_editor.connection.vendor == "postgresql" else {}
    for index in add:
        schema_editor.add_index(model, index, **options)
    for index in remove:
        schema_editor.remove_index(model, index, **options)


def forwards(apps, schema_editor):
    _swap(schema_editor, apps.get_model("telephony", "Call"), NEW, OLD)


def backwards(apps, schema_editor):
    _swap(schema_editor, apps.get_model("telephony", "Call"), OLD, NEW)


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("telephony", "0002_carrier_simulation_and_call_queries"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                *[migrations.RemoveIndex(model_name="call", name=index.name) for index in OLD],
                *[migrations.AddIndex(model_name="call", index=index) for index in NEW],
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]
