"""Erasures: a person's request to have their data removed, and its log."""

from django.db import models
from django.utils import timezone

from accounts.fields import PublicIdField
from accounts.models import Account, AccountScopedQuerySet, User


class Erasure(models.Model):
    """A request to forget one person (a caller, texter or form filler) across every company
    of an account, found by phone number and/or email.

    It runs in steps that each commit on their own (``privacy/erasure.py``), so a worker
    killed half-way leaves a resumable row: ``step`` and ``cursor`` say where it stopped,
    ``targets`` the rows it set out to erase (primary keys only). It stays as the log of the
    request: who asked, when, and how many rows of each kind were erased (``counts``). The
    phone number and email are needed to find the rows, and are blanked once it completes.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"

    class Via(models.TextChoices):
        API = "api"
        COMMAND = "command"
        DASHBOARD = "dashboard"

    public_id = PublicIdField("ERS")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="erasures")
    requested_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    requested_via = models.CharField(max_length=16, choices=Via.choices, default=Via.API)
    # What the person is known by; blanked when the erasure completes.
    phone_number = models.CharField(max_length=20, blank=True, default="")  # E.164
    email = models.CharField(max_length=255, blank=True, default="")
    # Which identifiers the request named (kept after they are blanked).
    by_phone_number = models.BooleanField(default=False)
    by_email = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    step = models.CharField(max_length=32, blank=True, default="")
    cursor = models.PositiveIntegerField(default=0)
    targets = models.JSONField(default=dict, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # The last failure: the step and the kind of error, never the data.
    error = models.CharField(max_length=255, blank=True, default="")
    # A worker holds the erasure until then (and extends it as it goes); past it, the
    # sweeper hands the erasure to another worker.
    locked_until = models.DateTimeField(null=True, blank=True)
    run_token = models.CharField(max_length=32, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AccountScopedQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(
                fields=("created_at",), condition=models.Q(status__in=("pending", "running")), name="erasure_unfinished"
            )
        ]

    def __str__(self) -> str:
        return self.public_id

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.COMPLETED, self.Status.FAILED)
