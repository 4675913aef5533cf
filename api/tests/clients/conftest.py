"""Data for the client compatibility tests: more rows than one page (100, the
clients' page size) in every collection they read, served by pytest-django's
live server."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Company, Tag, User
from api.tests.factories import (
    CallFactory,
    FormSubmissionFactory,
    TextConversationFactory,
    TextMessageFactory,
    TrackerFactory,
)

ROWS = 105  # > 100: every client has to fetch a second page


@pytest.fixture
def client_env(live_server, account, company, admin_user, make_api_client, settings) -> dict[str, str]:
    settings.API_RATE_LIMITS = {"general": (100_000, 100_000)}
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost", "127.0.0.1"]
    Company.objects.bulk_create([Company(account=account, name=f"Client {index:03}") for index in range(ROWS)])
    Tag.objects.bulk_create([Tag(account=account, company=company, name=f"Tag {index:03}") for index in range(ROWS)])
    User.objects.bulk_create(
        [
            User(account=account, email=f"agent{index:03}@example.com", first_name="Agent", last_name=f"{index:03}")
            for index in range(ROWS)
        ]
    )
    tracker = TrackerFactory(company=company)
    now = timezone.now()
    for index in range(ROWS):
        CallFactory(company=company, tracker=tracker, start_time=now - timedelta(hours=index + 1))
    for index in range(ROWS):
        FormSubmissionFactory(company=company, submitted_at=now - timedelta(hours=index + 1))
    for index in range(ROWS):
        conversation = TextConversationFactory(company=company, last_message_at=now - timedelta(hours=index + 1))
        TextMessageFactory(conversation=conversation)
    api_client = make_api_client(admin_user)
    return {
        "CALLRAIL_BASE_URL": f"{live_server.url}/v3/",
        "CALLRAIL_KEY": api_client.api_key,
        "CALLRAIL_ACCOUNT_ID": account.public_id,
        "COMPANY_ID": company.public_id,
    }
