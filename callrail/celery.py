"""The Celery app. Tasks live in each app's tasks.py; the beat schedule lives here."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "callrail.settings")

app = Celery("callrail")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Periodic work, in one place. Each entry says why it runs when it does. Tasks are named
# as registered (integrations' tasks keep their old ``api.tasks.*`` names: see integrations/tasks.py).
app.conf.beat_schedule = {
    # Every minute: re-send webhook events a killed worker left "delivering" and
    # due events whose Celery message was lost (broker restart, failed enqueue).
    "webhook-outbox-sweep": {"task": "api.tasks.webhook_outbox_sweep", "schedule": crontab()},
    # Nightly, off-peak: drop delivered/given-up webhook events and their attempt log
    # older than WEBHOOKS_LOG_RETENTION_DAYS.
    "webhook-log-prune": {"task": "api.tasks.webhook_log_prune", "schedule": crontab(minute=17, hour=3)},
    # Hourly: summary emails leave at 6:00 in each company's own time zone, so the
    # task runs every hour and sends those whose local morning has come.
    "summary-emails-send": {"task": "api.tasks.summary_emails_send", "schedule": crontab(minute=7)},
    # Every minute: write returning visitors' page views still buffered in Redis
    # (busy pools write theirs right after answering; this catches quiet ones).
    "dni-page-views-flush": {"task": "tracking.tasks.page_views_flush_all", "schedule": crontab()},
    # Nightly, off-peak: delete visitor sessions (page views, number-assignment rows) idle for
    # longer than DNI_SESSION_RETENTION_DAYS that no call or form submission points at.
    "dni-visitor-data-prune": {
        "task": "tracking.tasks.visitor_data_prune_task",
        "schedule": crontab(minute=37, hour=3),
    },
    # Nightly, off-peak: delete audit entries older than each account's retention period.
    "audit-log-prune": {"task": "accounts.tasks.audit_log_prune", "schedule": crontab(minute=47, hour=3)},
}
