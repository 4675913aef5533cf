from django.db import models
from django.utils import timezone


class DeferredTask(models.Model):
    """Background work (a Celery task and its arguments) recorded while the broker was
    unreachable, so that a Redis outage delays it instead of losing it. The sweeper
    (``deferred_tasks_send``, every minute) hands each row to the broker and deletes it."""

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    # Not sent before this time (the countdown the task was enqueued with).
    run_after = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ("id",)
        indexes = (models.Index(fields=["run_after"], name="deferred_run_after"),)

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"
