import pytest

from accounts.models import User
from integrations.models import WebhookEvent
from integrations.tests.conftest import deliver_due, make_call, webhooks_integration
from telephony import signals

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, account):
    user = User.objects.create_superuser(email="ops@example.com", password="pw", account=account)
    client.force_login(user)
    return client


def test_operators_see_events_with_their_attempts_and_can_resend(staff_client, company, tracker, receiver):
    webhooks_integration(company, {"pre_call_webhook": [receiver.url()]})
    receiver.answer(404)
    signals.call_started.send(sender=None, call=make_call(tracker))
    deliver_due()
    event = WebhookEvent.objects.get()

    assert staff_client.get("/admin/integrations/webhookevent/").status_code == 200
    page = staff_client.get(f"/admin/integrations/webhookevent/{event.pk}/change/")
    assert page.status_code == 200 and b"HTTP 404" in page.content
    assert staff_client.get("/admin/integrations/webhookdelivery/").status_code == 200

    response = staff_client.post(
        "/admin/integrations/webhookevent/", {"action": "redeliver", "_selected_action": [event.pk]}, follow=True
    )
    assert b"1 event(s) queued" in response.content
    deliver_due()
    event.refresh_from_db()
    assert event.state == "delivered" and len(receiver.requests) == 2
