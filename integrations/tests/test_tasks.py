"""Tasks keep the names they were first registered under (in ``api/tasks.py``): messages
queued before an upgrade, and the beat schedule, name tasks by that string."""

from callrail.celery import app
from integrations import tasks

TASKS = (
    "webhook_event_deliver",
    "webhook_outbox_sweep",
    "webhook_log_prune",
    "call_notifications_send",
    "text_message_notifications_send",
    "form_submission_notifications_send",
    "summary_emails_send",
)


def test_every_task_answers_to_its_old_name():
    for name in TASKS:
        task = getattr(tasks, name)
        assert task.name == f"api.tasks.{name}"
        assert app.tasks[f"api.tasks.{name}"].run is task.run


def test_every_scheduled_task_is_registered():
    app.loader.import_default_modules()
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks, entry
