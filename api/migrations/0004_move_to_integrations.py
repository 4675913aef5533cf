from django.db import migrations


class Migration(migrations.Migration):
    """Integrations and their triggers, the webhook outbox and its delivery log, and the
    alert email log now belong to the ``integrations`` app (``integrations/0001_initial``
    takes the tables over, rows and all). Only Django's model state changes here."""

    dependencies = [
        ("api", "0003_webhook_event_canceled"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # Rows that point at others go first.
            state_operations=[
                migrations.DeleteModel(name="WebhookDelivery"),
                migrations.DeleteModel(name="WebhookEvent"),
                migrations.DeleteModel(name="IntegrationTrigger"),
                migrations.DeleteModel(name="NotificationEmail"),
                migrations.DeleteModel(name="Integration"),
            ],
            database_operations=[],
        ),
    ]
