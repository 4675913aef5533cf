"""The Celery app. Tasks live in each app's tasks.py; the beat schedule lives here."""

import logging
import os

from celery import Celery, bootsteps
from celery.schedules import crontab

from callrail import broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "callrail.settings")
broker.install()

logger = logging.getLogger(__name__)

app = Celery("callrail")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Periodic work, in one place. Each entry says why it runs when it does. Tasks are named
# as registered (integrations' tasks keep their old ``api.tasks.*`` names: see integrations/tasks.py).
app.conf.beat_schedule = {
    # Every minute: re-send webhook events a killed worker left "delivering" and
    # due events whose Celery message was lost (broker restart, failed enqueue).
    "webhook-outbox-sweep": {"task": "api.tasks.webhook_outbox_sweep", "schedule": crontab()},
    # Every minute: hand the broker the tasks kept in the database while it was unreachable.
    "deferred-tasks-send": {"task": "callrail.deferred.tasks.deferred_tasks_send", "schedule": crontab()},
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
    # Nightly, off-peak, before the visitor prune: delete each account's calls (recordings at
    # the carrier too), texts, forms, visits, people left with nothing and webhook/email logs
    # older than its data_retention_days.
    "privacy-retention-purge": {"task": "privacy.tasks.retention_purge", "schedule": crontab(minute=7, hour=3)},
    # Every five minutes: erasures whose task was lost or whose worker died carry on
    # (a worker shows progress at least every few minutes while it holds one).
    "privacy-erasures-resume": {"task": "privacy.tasks.erasures_resume", "schedule": crontab(minute="*/5")},
    # Nightly, off-peak: delete audit entries older than each account's retention period.
    "audit-log-prune": {"task": "accounts.tasks.audit_log_prune", "schedule": crontab(minute=47, hour=3)},
}

# Sent by the worker each time it (re)connects to the broker: a broker that restarted may
# have lost queued messages, and these sweeps find the work in the database at once
# instead of at beat's next minute.
SWEEPS_ON_CONNECT = ("deferred-tasks-send", "webhook-outbox-sweep")


class SweepOnConnect(bootsteps.StartStopStep):
    """A step of the worker's consumer, started after every (re)connection to the broker."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def start(self, parent: object) -> None:
        for entry in SWEEPS_ON_CONNECT:
            name = app.conf.beat_schedule[entry]["task"]
            try:
                app.send_task(name, retry=False)
            except Exception:  # the broker went away again; the beat sends them every minute
                logger.warning("%s not sent after connecting to the broker", name, exc_info=True)


app.steps["consumer"].add(SweepOnConnect)
