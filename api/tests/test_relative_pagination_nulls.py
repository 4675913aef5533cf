"""Relative pages over a sort key that can be null (a conversation without messages has
no last_message_at): the walk by next_page, and pages asked for by offset, give the
rows in the order offset pagination lists them, without a server error."""

from datetime import timedelta

import pytest
from django.utils import timezone

from api.tests.factories import TextConversationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversations(company):
    now = timezone.now()
    rows = [TextConversationFactory(company=company, last_message_at=None) for _ in range(2)]
    rows += [TextConversationFactory(company=company, last_message_at=now - timedelta(hours=i)) for i in range(3)]
    return rows


@pytest.mark.parametrize(
    ("path", "order"),
    [
        ("text-messages", ""),
        ("sms-threads", ""),
        ("sms-threads", "&sort=last_message_at&order=asc"),
        ("sms-threads", "&sort=last_message_at&order=desc"),
    ],
)
def test_relative_pages_follow_the_offset_order(api_client, account, conversations, path, order):
    base = f"/v3/a/{account.public_id}/{path}.json?per_page=2{order}"
    key = "conversations" if path == "text-messages" else "sms_threads"
    expected = [row["id"] for row in api_client.get(base.replace("per_page=2", "per_page=100")).json()[key]]
    assert len(expected) == 5
    seen, url = [], base + "&relative_pagination=true"
    while url:
        response = api_client.get(url)
        assert response.status_code == 200, response.content
        seen += [row["id"] for row in response.json()[key]]
        url = response.json()["next_page"]
    assert seen == expected
    by_offset = []
    for offset in range(3):
        response = api_client.get(f"{base}&relative_pagination=true&offset={offset}&walk={path}{order}")
        assert response.status_code == 200, response.content
        by_offset += [row["id"] for row in response.json()[key]]
    assert by_offset == expected
