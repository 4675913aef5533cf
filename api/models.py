"""Configuration of the outward-facing integrations: webhooks, custom cookie capture,
and the triggers that decide which calls reach an integration."""

from django.db import models

from accounts.fields import NumericIdField, TimeStampedModel
from accounts.models import Account, AccountScopedQuerySet, Company


class Integration(TimeStampedModel):
    """A company's connection to an outside system (CallRail's integrations).

    ``Webhooks`` keeps the receiver URLs per event in ``config``; ``Custom``
    keeps ``grab_cookies``, the cookie names swap.js attaches to sessions.
    One integration per type per company.
    """

    class Type(models.TextChoices):
        WEBHOOKS = "Webhooks"
        CUSTOM = "Custom"

    class State(models.TextChoices):
        ACTIVE = "active"
        DISABLED = "disabled"
        PENDING = "pending"
        FAILED = "failed"

    numeric_id = NumericIdField()
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="integrations")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="integrations")
    type = models.CharField(max_length=32, choices=Type.choices)
    state = models.CharField(max_length=16, choices=State.choices, default=State.ACTIVE)
    config = models.JSONField(default=dict)

    objects = AccountScopedQuerySet.as_manager()

    class Meta:
        ordering = ("created_at",)
        constraints = [
            models.UniqueConstraint(fields=("company", "type"), name="integration_unique_type_per_company"),
        ]

    def __str__(self) -> str:
        return f"{self.type} ({self.company})"


class IntegrationTrigger(TimeStampedModel):
    """Criteria (ANDed) a call must meet to be sent to an integration.

    The company's default trigger has no integration and applies to every
    integration without a trigger of its own.
    """

    class CallType(models.TextChoices):
        FIRST_CALL = "first_call"
        VOICEMAIL = "vm"
        MISSED_AND_VOICEMAIL = "missed_and_vm"

    numeric_id = NumericIdField()
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="integration_triggers")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="integration_triggers")
    integration = models.OneToOneField(
        Integration, on_delete=models.CASCADE, null=True, blank=True, related_name="trigger"
    )
    tracker_ids = models.JSONField(default=list, blank=True)  # TRK public ids
    call_type = models.CharField(max_length=16, choices=CallType.choices, null=True, blank=True)
    min_duration = models.PositiveIntegerField(null=True, blank=True)
    max_duration = models.PositiveIntegerField(null=True, blank=True)
    lead_status = models.CharField(max_length=16, null=True, blank=True)

    objects = AccountScopedQuerySet.as_manager()

    class Meta:
        ordering = ("created_at",)

    def __str__(self) -> str:
        return f"trigger {self.numeric_id}"
