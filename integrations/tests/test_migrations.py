"""The models that moved into this app from ``api`` and ``accounts`` keep every row.

A database is taken back to the migrations before the move, filled through the
historical models, then migrated forward; every row must read back the same through
today's models, still joined to the rows it pointed at.
"""

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.apps.registry import Apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts.models import Company
from integrations.models import (
    Integration,
    IntegrationTrigger,
    Notification,
    NotificationEmail,
    SummaryEmail,
    WebhookDelivery,
    WebhookEvent,
)

# The last migrations of the apps the models came from, before the move.
BEFORE_MOVE = [
    ("accounts", "0002_tag_background_color"),
    ("api", "0003_webhook_event_canceled"),
    ("integrations", None),
]
# (old app, model name) -> today's model.
MOVED = {
    ("api", "Integration"): Integration,
    ("api", "IntegrationTrigger"): IntegrationTrigger,
    ("api", "WebhookEvent"): WebhookEvent,
    ("api", "WebhookDelivery"): WebhookDelivery,
    ("api", "NotificationEmail"): NotificationEmail,
    ("accounts", "Notification"): Notification,
    ("accounts", "SummaryEmail"): SummaryEmail,
}

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate(targets: list[tuple[str, str | None]] | None = None) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    # A fresh loader: the next caller sees what is applied now.
    return MigrationExecutor(connection)


@pytest.fixture
def before_move() -> Iterator[Apps]:
    """The historical apps right before the move, on a database migrated back to them."""
    executor = _migrate(BEFORE_MOVE)
    try:
        yield executor.loader.project_state([(app, name) for app, name in BEFORE_MOVE if name]).apps
    finally:
        # Whatever happened, later tests get today's schema back.
        _migrate()


def _fill(apps: Apps) -> None:
    """At least two rows in every moved table, each pointing at the others."""
    get = apps.get_model
    now = timezone.now()
    account = get("accounts", "Account").objects.create(name="Alice Agency", time_zone="America/Chicago")
    user = get("accounts", "User").objects.create(email="alice@example.com", account=account, password="!")
    agent = get("accounts", "User").objects.create(email="agent@example.com", account=account, password="!")
    company = get("accounts", "Company").objects.create(account=account, name="Alice Plumbing")
    integrations = [
        get("api", "Integration").objects.create(
            account=account,
            company=company,
            type="Webhooks",
            config={"post_call_webhook": ["https://hooks.example.com/calls"]},
        ),
        get("api", "Integration").objects.create(
            account=account, company=company, type="Custom", state="disabled", config={"grab_cookies": ["_fbp"]}
        ),
    ]
    triggers = get("api", "IntegrationTrigger").objects
    triggers.create(
        account=account, company=company, integration=integrations[0], tracker_ids=["TRKabc"], min_duration=30
    )
    triggers.create(account=account, company=company, call_type="missed_and_vm", lead_status="good_lead")
    for state, attempts in (("delivered", 1), ("failed", 7), ("pending", 0)):
        event = get("api", "WebhookEvent").objects.create(
            event_id=uuid.uuid4(),
            account=account,
            company=company,
            integration=integrations[0],
            event="post_call",
            url="https://hooks.example.com/calls",
            ordering_key="CAL" + uuid.uuid4().hex,
            body='{"id":123456789,"answered":true}',
            state=state,
            attempts=attempts,
            next_attempt_at=now,
            retry_until=now + timedelta(days=3),
            last_status_code=200 if state == "delivered" else None,
            last_error="" if state != "failed" else "500 from the receiver",
            finished_at=now if state != "pending" else None,
        )
        for attempt in range(1, attempts + 1):
            get("api", "WebhookDelivery").objects.create(
                account=account,
                company=company,
                webhook_event=event,
                attempt=attempt,
                url=event.url,
                status_code=200 if state == "delivered" else 500,
                success=state == "delivered",
                latency_ms=40 + attempt,
                response_headers={"Content-Type": "text/plain"},
                response_body="ok" if state == "delivered" else "oops",
            )
    notifications = [
        get("accounts", "Notification").objects.create(account=account, user=user, company=company, agent=agent),
        get("accounts", "Notification").objects.create(
            account=account, email="boss@example.com", tracker_public_id="TRKabc", alert_type="vm_only"
        ),
    ]
    for notification in notifications:
        get("api", "NotificationEmail").objects.create(
            account=account, notification=notification, subject_id="CAL" + uuid.uuid4().hex, recipient="a@example.com"
        )
    get("accounts", "SummaryEmail").objects.create(
        account=account, user=user, frequency=["daily", "weekly"], config={"call_log": True}
    )
    get("accounts", "SummaryEmail").objects.create(
        account=account,
        company=company,
        email="boss@example.com",
        frequency=["monthly"],
        last_sent_at={"monthly": "2026-10-01"},
    )


def _rows(model: Any) -> list[dict[str, Any]]:
    return list(model.objects.order_by("pk").values())


def test_every_moved_row_survives_the_move(before_move: Apps) -> None:
    _fill(before_move)
    before = {key: _rows(before_move.get_model(*key)) for key in MOVED}
    assert all(len(rows) >= 2 for rows in before.values())
    # Permissions granted on a moved model hang on its content type.
    old_type = ContentType.objects.get(app_label="api", model="webhookevent")
    permission_ids = set(Permission.objects.filter(content_type=old_type).values_list("pk", flat=True))

    _migrate()

    for key, model in MOVED.items():
        assert _rows(model) == before[key], key
    tables = set(connection.introspection.table_names())
    assert {model._meta.db_table for model in MOVED.values()} <= tables
    assert not {f"{app}_{name.lower()}" for app, name in MOVED} & tables
    # Foreign keys still join, across the moved tables and to the ones that stayed.
    delivery = WebhookDelivery.objects.select_related("webhook_event__integration__company", "account").first()
    assert delivery.webhook_event.integration.company.name == "Alice Plumbing"
    assert NotificationEmail.objects.filter(notification__user__email="alice@example.com").count() == 1
    assert IntegrationTrigger.objects.get(integration__isnull=False).integration.type == "Webhooks"
    # The id sequences came along: a new row does not collide with the old ones.
    newest = max(row["id"] for row in before[("api", "Integration")])
    company = Company.objects.create(account_id=delivery.account_id, name="Alice Roofing")
    added = Integration.objects.create(account_id=company.account_id, company=company, type="Webhooks")
    assert added.pk > newest
    ContentType.objects.clear_cache()
    moved_type = ContentType.objects.get_for_model(WebhookEvent)
    assert moved_type.pk == old_type.pk
    assert set(Permission.objects.filter(content_type=moved_type).values_list("pk", flat=True)) == permission_ids
