from django.db import migrations


class Migration(migrations.Migration):
    """Alert rules (notifications) and summary email subscriptions now belong to the
    ``integrations`` app (``integrations/0001_initial`` takes the tables over, rows and
    all). Only Django's model state changes here."""

    dependencies = [
        ("accounts", "0002_tag_background_color"),
        # The alert email log pointed at notifications until it moved.
        ("api", "0004_move_to_integrations"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Notification"),
                migrations.DeleteModel(name="SummaryEmail"),
            ],
            database_operations=[],
        ),
    ]
