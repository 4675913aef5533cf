"""The Celery app. Tasks live in each app's tasks.py; the beat schedule lives here."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "callrail.settings")

app = Celery("callrail")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Periodic work, in one place. Each entry says why it runs when it does.
app.conf.beat_schedule = {}
