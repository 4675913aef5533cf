"""The audit trail: written by the services, with the actor and address of the request
(dashboard session or API key), sign-ins included, and kept for the retention period."""

from datetime import timedelta

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.audit import AuditContextMiddleware, action_label, audit_log_prune, audit_record
from accounts.models import Account, AuditEvent, User
from accounts.services import account_settings_update, company_update
from api.tests.roles import client_for, user_with_role
from tracking.models import CallFlow, Tracker, TrackingNumber

pytestmark = pytest.mark.django_db


def entries(account: Account, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(account=account, action=action))


def test_it_records_the_request_s_user_and_address(account, admin_user):
    request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.9")
    request.user = admin_user

    def view(request: HttpRequest) -> HttpResponse:
        account_settings_update(account=account, changes={"name": "Alice & Co", "time_zone": account.time_zone})
        return HttpResponse()

    AuditContextMiddleware(view)(request)
    (entry,) = entries(account, "account.updated")
    assert entry.actor == admin_user
    assert entry.actor_label == "alice@example.com"
    assert entry.ip_address == "203.0.113.9"
    # Only what changed, as [before, after].
    assert entry.changes == {"name": ["Alice Agency", "Alice & Co"]}
    assert (entry.object_type, entry.object_id, entry.object_label) == ("account", account.public_id, "Alice & Co")


def test_outside_a_request_the_system_acts(account, company):
    company_update(company=company, changes={"callscore_enabled": True})
    (entry,) = entries(account, "company.updated")
    assert entry.actor is None and entry.actor_label == "" and entry.ip_address is None
    assert entry.changes == {"callscore_enabled": [False, True]}


def test_an_unchanged_setting_leaves_no_entry(account, company):
    company_update(company=company, changes={"name": company.name})
    assert entries(account, "company.updated") == []


def test_api_changes_carry_the_key_s_user(account, company, admin_user):
    teddy = user_with_role(account, User.Role.REPORTING, [company], email="teddy@example.com")
    response = client_for(admin_user).delete(
        f"/v3/a/{account.public_id}/users/{teddy.public_id}.json", REMOTE_ADDR="198.51.100.7"
    )
    assert response.status_code == 204
    (entry,) = entries(account, "user.deleted")
    assert entry.actor == admin_user
    assert entry.ip_address == "198.51.100.7"
    assert entry.object_label == "teddy@example.com"


def test_sign_ins_are_recorded_both_ways(client, account, admin_user):
    form = {"username": "alice@example.com", "password": "wrong"}
    client.post(reverse("dashboard:sign-in"), form, REMOTE_ADDR="192.0.2.1")
    (failed,) = entries(account, "sign_in.failed")
    assert failed.actor is None and failed.actor_label == "alice@example.com"
    assert failed.object_id == admin_user.public_id and failed.ip_address == "192.0.2.1"

    client.post(reverse("dashboard:sign-in"), {**form, "password": "pw"}, REMOTE_ADDR="192.0.2.1")
    (succeeded,) = entries(account, "sign_in.succeeded")
    assert succeeded.actor == admin_user

    client.post(reverse("dashboard:sign-out"))
    assert len(entries(account, "sign_in.signed_out")) == 1


def test_an_address_nobody_has_is_not_kept(client, account):
    client.post(reverse("dashboard:sign-in"), {"username": "stranger@example.com", "password": "x"})
    assert not AuditEvent.objects.exists()


def test_trackers_numbers_and_call_flows_are_recorded(account, company):
    flow = CallFlow.objects.create(account=account, company=company, name="Front desk", definition={"type": "basic"})
    tracker = Tracker.objects.create(
        account=account, company=company, name="Billboard", type=Tracker.Type.SOURCE, call_flow=flow
    )
    number = TrackingNumber.objects.create(account=account, tracker=tracker, number="+14705550111")
    other = CallFlow.objects.create(account=account, company=company, name="After hours")

    tracker.name = "Highway billboard"
    tracker.call_flow = other
    tracker.save()
    (update,) = entries(account, "tracker.updated")
    assert update.changes == {"name": ["Billboard", "Highway billboard"], "call_flow": ["Front desk", "After hours"]}

    # What the DNI path counts is nobody's change.
    tracker.exhaustion_count = 3
    tracker.save(update_fields=["exhaustion_count", "updated_at"])
    assert len(entries(account, "tracker.updated")) == 1

    number.delete()
    assert [entry.object_label for entry in entries(account, "tracking_number.deleted")] == ["+14705550111"]
    assert {entry.action for entry in AuditEvent.objects.all()} >= {
        "call_flow.created",
        "tracker.created",
        "tracking_number.created",
    }


def test_a_number_deleted_with_its_tracker_is_part_of_that_deletion(account, company):
    flow = CallFlow.objects.create(account=account, company=company, definition={"type": "basic"})
    tracker = Tracker.objects.create(
        account=account, company=company, name="Billboard", type=Tracker.Type.SOURCE, call_flow=flow
    )
    TrackingNumber.objects.create(account=account, tracker=tracker, number="+14705550111")
    tracker.delete()
    assert list(AuditEvent.objects.filter(action__endswith=".deleted").values_list("action", flat=True)) == [
        "tracker.deleted"
    ]


def test_it_keeps_entries_for_the_retention_period(account, other_account):
    Account.objects.filter(pk__in=[account.pk, other_account.pk]).update(data_retention_days=30)
    now = timezone.now()
    old = audit_record(account=account, action="account.updated")
    recent = audit_record(account=other_account, action="account.updated")
    AuditEvent.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=31))
    AuditEvent.objects.filter(pk=recent.pk).update(created_at=now - timedelta(days=29))
    assert audit_log_prune(now=now) == 1
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [recent.pk]

    Account.objects.filter(pk=other_account.pk).update(data_retention_days=0)  # forever
    AuditEvent.objects.filter(pk=recent.pk).update(created_at=now - timedelta(days=4000))
    assert audit_log_prune(now=now) == 0


def test_actions_read_as_words():
    assert action_label("user.deactivated") == "Deactivated a user"
    assert action_label("recording.accessed") == "Recording: accessed"
