"""The set-up pages without a browser: every page answers for every role it should, the
walls hold (another account's tracker or flow is a 404, reporting users cannot change
anything), and each form goes through the services."""

import pytest
from django.urls import reverse

from telephony.callflows.services import call_flow_create
from tracking.tests.factories import session_tracker

pytestmark = pytest.mark.django_db

MENU = {
    "type": "advanced",
    "initial_step_id": 1,
    "steps": [
        {
            "id": 1,
            "type": "menu",
            "name": "Main menu",
            "prompt_text": "Press 1 for sales, 2 for a message.",
            "menu_options": [{"key": "1", "next_step_id": 2}, {"key": "2", "next_step_id": 3}],
        },
        {"id": 2, "type": "dial", "name": "Sales", "destination_number": "+14045550101"},
        {"id": 3, "type": "voicemail", "name": "Voicemail"},
    ],
}


@pytest.fixture
def pool(company):
    return session_tracker(company=company, size=4, name="Website")


@pytest.fixture
def flow(company):
    return call_flow_create(company=company, name="Main line", definition=MENU)


def test_every_page_renders(client, manager_user, company, pool, flow):
    client.force_login(manager_user)
    q = f"?company={company.public_id}"
    for url in (
        reverse("dashboard:numbers") + q,
        reverse("dashboard:tracker-new") + q,
        reverse("dashboard:pool", args=[pool.public_id]) + q,
        reverse("dashboard:pool-live", args=[pool.public_id]) + q,
        reverse("dashboard:call-flows") + q,
        reverse("dashboard:call-flow-new") + q,
        reverse("dashboard:call-flow", args=[flow.uuid]) + q,
        reverse("dashboard:install") + q,
        reverse("dashboard:settings") + q,
    ):
        response = client.get(url)
        assert response.status_code == 200, url
