import accounts.fields
import django.db.models.deletion
import django.utils.timezone
import uuid
from django.conf import settings
from django.db import migrations, models


# Where each model lived before this app existed; its table, rows and content type come along.
MOVED_FROM = {
    "integration": "api",
    "integrationtrigger": "api",
    "webhookevent": "api",
    "webhookdelivery": "api",
    "notificationemail": "api",
    "notification": "accounts",
    "summaryemail": "accounts",
}


def content_types_relabel(apps, schema_editor, *, old: bool) -> None:
    """Permissions granted on these models and the admin's history point at their content
    type: relabel the old row instead of letting Django create a new one beside it."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    rows = ContentType.objects.using(schema_editor.connection.alias)
    for model, previous in MOVED_FROM.items():
        source, target = ("integrations", previous) if old else (previous, "integrations")
        if not rows.filter(app_label=target, model=model).exists():
            rows.filter(app_label=source, model=model).update(app_label=target)


def content_types_forwards(apps, schema_editor) -> None:
    content_types_relabel(apps, schema_editor, old=False)


def content_types_backwards(apps, schema_editor) -> None:
    content_types_relabel(apps, schema_editor, old=True)


class Migration(migrations.Migration):
    """Takes over the tables of the models that moved here from ``api`` and ``accounts``.

    No row is copied: the models are declared on their old tables (state only), which
    are then renamed to this app's names (a rename keeps rows, keys, indexes and the id
    sequences). Foreign keys follow a renamed table on PostgreSQL and SQLite alike.
    """

    initial = True

    dependencies = [
        ('accounts', '0003_move_alerts_to_integrations'),
        ('api', '0004_move_to_integrations'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Integration',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('numeric_id', accounts.fields.NumericIdField()),
                        ('type', models.CharField(choices=[('Webhooks', 'Webhooks'), ('Custom', 'Custom')], max_length=32)),
                        ('state', models.CharField(choices=[('active', 'Active'), ('disabled', 'Disabled'), ('pending', 'Pending'), ('failed', 'Failed')], default='active', max_length=16)),
                        ('config', models.JSONField(default=dict)),
                        ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='integrations', to='accounts.account')),
                        ('company', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='integrations', to='accounts.company')),
                    ],
                    options={
                        'db_table': 'api_integration',
                        'ordering': ('created_at',),
                    },
                ),
                migrations.CreateModel(
                    name='IntegrationTrigger',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('numeric_id', accounts.fields.NumericIdField()),
                        ('tracker_ids', models.JSONField(blank=True, default=list)),
                        ('call_type', models.CharField(blank=True, choices=[('first_call', 'First Call'), ('vm', 'Voicemail'), ('missed_and_vm', 'Missed And Voicemail')], max_length=16, null=True)),
                        ('min_duration', models.PositiveIntegerField(blank=True, null=True)),
                        ('max_duration', models.PositiveIntegerField(blank=True, null=True)),
                        ('lead_status', models.CharField(blank=True, max_length=16, null=True)),
                        ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='integration_triggers', to='accounts.account')),
                        ('company', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='integration_triggers', to='accounts.company')),
                        ('integration', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='trigger', to='integrations.integration')),
                    ],
                    options={
                        'db_table': 'api_integrationtrigger',
                        'ordering': ('created_at',),
                    },
                ),
                migrations.CreateModel(
                    name='Notification',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('numeric_id', accounts.fields.NumericIdField()),
                        ('email', models.EmailField(blank=True, default='', max_length=254)),
                        ('tracker_public_id', models.CharField(blank=True, default='', max_length=40)),
                        ('call_enabled', models.BooleanField(default=True)),
                        ('sms_enabled', models.BooleanField(default=False)),
                        ('alert_type', models.CharField(choices=[('all', 'All'), ('first_call', 'First Call'), ('missed_and_vm', 'Missed And Vm'), ('vm_only', 'Vm Only')], default='all', max_length=16)),
                        ('send_desktop', models.BooleanField(default=False)),
                        ('send_email', models.BooleanField(default=True)),
                        ('send_push', models.BooleanField(default=False)),
                        ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to='accounts.account')),
                        ('agent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('company', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to='accounts.company')),
                        ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'accounts_notification',
                        'ordering': ('created_at',),
                    },
                ),
                migrations.CreateModel(
                    name='NotificationEmail',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('subject_id', models.CharField(max_length=40)),
                        ('recipient', models.EmailField(max_length=254)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.account')),
                        ('notification', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='emails', to='integrations.notification')),
                    ],
                    options={
                        'db_table': 'api_notificationemail',
                        'ordering': ('-created_at',),
                    },
                ),
                migrations.CreateModel(
                    name='SummaryEmail',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('public_id', accounts.fields.PublicIdField(prefix='CSS')),
                        ('email', models.EmailField(blank=True, default='', max_length=254)),
                        ('frequency', models.JSONField(default=list)),
                        ('config', models.JSONField(default=dict)),
                        ('lead_status_filter', models.CharField(default='All', max_length=16)),
                        ('last_sent_at', models.JSONField(blank=True, default=dict)),
                        ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='summary_emails', to='accounts.account')),
                        ('company', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='summary_emails', to='accounts.company')),
                        ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='summary_emails', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'accounts_summaryemail',
                        'ordering': ('created_at',),
                    },
                ),
                migrations.CreateModel(
                    name='WebhookEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('event_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('event', models.CharField(choices=[('pre_call', 'Pre Call'), ('call_routing_complete', 'Call Routing Complete'), ('post_call', 'Post Call'), ('call_modified', 'Call Modified'), ('outbound_post_call', 'Outbound Post Call'), ('outbound_call_modified', 'Outbound Call Modified'), ('text_message_received', 'Text Message Received'), ('text_message_sent', 'Text Message Sent'), ('form_submission', 'Form Submission')], max_length=32)),
                        ('url', models.CharField(max_length=2000)),
                        ('ordering_key', models.CharField(max_length=64)),
                        ('body', models.TextField()),
                        ('state', models.CharField(choices=[('pending', 'Pending'), ('delivering', 'Delivering'), ('delivered', 'Delivered'), ('failed', 'Failed'), ('canceled', 'Canceled')], default='pending', max_length=16)),
                        ('attempts', models.PositiveIntegerField(default=0)),
                        ('next_attempt_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('locked_until', models.DateTimeField(blank=True, null=True)),
                        ('retry_until', models.DateTimeField()),
                        ('last_status_code', models.PositiveSmallIntegerField(blank=True, null=True)),
                        ('last_error', models.TextField(blank=True, default='')),
                        ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.account')),
                        ('company', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.company')),
                        ('integration', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='webhook_events', to='integrations.integration')),
                    ],
                    options={
                        'db_table': 'api_webhookevent',
                        'ordering': ('-created_at', '-id'),
                    },
                ),
                migrations.CreateModel(
                    name='WebhookDelivery',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('numeric_id', accounts.fields.NumericIdField()),
                        ('attempt', models.PositiveIntegerField()),
                        ('url', models.CharField(max_length=2000)),
                        ('status_code', models.PositiveSmallIntegerField(blank=True, null=True)),
                        ('success', models.BooleanField(default=False)),
                        ('latency_ms', models.PositiveIntegerField(blank=True, null=True)),
                        ('error', models.TextField(blank=True, default='')),
                        ('response_headers', models.JSONField(blank=True, default=dict)),
                        ('response_body', models.TextField(blank=True, default='')),
                        ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.account')),
                        ('company', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.company')),
                        ('webhook_event', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='integrations.webhookevent')),
                    ],
                    options={
                        'db_table': 'api_webhookdelivery',
                        'ordering': ('-created_at', '-id'),
                    },
                ),
                migrations.AddConstraint(
                    model_name='integration',
                    constraint=models.UniqueConstraint(fields=('company', 'type'), name='integration_unique_type_per_company'),
                ),
                migrations.AddConstraint(
                    model_name='notificationemail',
                    constraint=models.UniqueConstraint(fields=('notification', 'subject_id'), name='notification_email_once'),
                ),
                migrations.AddIndex(
                    model_name='webhookevent',
                    index=models.Index(condition=models.Q(('state__in', ('pending', 'delivering'))), fields=['next_attempt_at'], name='webhook_event_due'),
                ),
                migrations.AddIndex(
                    model_name='webhookevent',
                    index=models.Index(fields=['ordering_key', 'url', 'id'], name='webhook_event_ordering'),
                ),
                migrations.AddIndex(
                    model_name='webhookevent',
                    index=models.Index(fields=['integration', 'url', 'finished_at'], name='webhook_event_receiver'),
                ),
                migrations.AddIndex(
                    model_name='webhookevent',
                    index=models.Index(fields=['account', '-created_at', '-id'], name='webhook_event_account'),
                ),
                migrations.AddIndex(
                    model_name='webhookdelivery',
                    index=models.Index(fields=['account', '-created_at', '-id'], name='webhook_delivery_account'),
                ),
            ],
            # The tables exist (created by api and accounts migrations): state only.
            database_operations=[],
        ),
        # integrations_<model>, as if the tables had been created here.
        migrations.AlterModelTable(name='integration', table=None),
        migrations.AlterModelTable(name='integrationtrigger', table=None),
        migrations.AlterModelTable(name='notification', table=None),
        migrations.AlterModelTable(name='notificationemail', table=None),
        migrations.AlterModelTable(name='summaryemail', table=None),
        migrations.AlterModelTable(name='webhookevent', table=None),
        migrations.AlterModelTable(name='webhookdelivery', table=None),
        migrations.RunPython(content_types_forwards, content_types_backwards),
    ]
