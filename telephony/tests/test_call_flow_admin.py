import json

import pytest

from accounts.models import User
from tracking.models import CallFlow


@pytest.fixture
def admin_client(client, account):
    staff = User.objects.create_user(
        email="ops@example.com", password="pw", account=account, role=User.Role.ADMIN, is_staff=True, is_superuser=True
    )
    client.force_login(staff)
    return client


def post(client, account, company, definition):
    return client.post(
        "/admin/tracking/callflow/add/",
        {"account": account.pk, "company": company.pk, "name": "Main line", "definition": json.dumps(definition)},
    )


def test_a_flow_with_an_unreachable_step_is_refused(admin_client, account, company):
    definition = {
        "type": "advanced",
        "initial_step_id": 1,
        "steps": [
            {"id": 1, "type": "dial", "destination_number": "+14045550101"},
            {"id": 2, "type": "voicemail", "prompt_text": "Leave a message"},
        ],
    }
    response = post(admin_client, account, company, definition)
    assert response.status_code == 200
    assert b"can never be reached from the initial step" in response.content
    assert not CallFlow.objects.exists()


def test_a_valid_flow_is_saved_normalised(admin_client, account, company):
    definition = {"type": "basic", "destination_number": "(404) 555-0101", "recording_enabled": True}
    response = post(admin_client, account, company, definition)
    assert response.status_code == 302
    assert CallFlow.objects.get().definition["destination_number"] == "+14045550101"
