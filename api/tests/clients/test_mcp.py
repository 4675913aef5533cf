"""callrail-mcp (1.3.1): its read tools against our API, every page of every collection."""

import json

import pytest

from api.tests.clients.conftest import ROWS
from api.tests.clients.venvs import run_client
from integrations.models import Integration, Notification

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_the_mcp_servers_read_tools_work(client_env, account, company, admin_user):
    Integration.objects.create(
        account=account, company=company, type="Webhooks", config={"post_call_webhook": ["https://example.com/h"]}
    )
    Notification.objects.create(account=account, user=admin_user, company=company)
    result = run_client("mcp", "mcp_read.py", client_env)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    errors = {tool: outcome["error"] for tool, outcome in report.items() if "error" in outcome}
    assert errors == {}
    counts = {tool: outcome["count"] for tool, outcome in report.items() if "count" in outcome}
    assert counts == {
        "list_companies": ROWS + 1,
        "list_users": ROWS + 1,
        "list_tags": ROWS,
        "list_trackers": 1,
        "list_calls": ROWS,
        "list_form_submissions": ROWS,
        "list_text_messages": ROWS,
        "list_notifications": 1,
        "list_integrations": 1,
        "paginate_companies": ROWS + 1,
    }
    assert report["list_companies"]["pages"] == 3
    assert report["list_accounts"]["ok"]["accounts"][0]["numeric_id"] == account.numeric_id
    assert report["get_company"]["ok"]["verified_caller_ids"] == []
    assert report["get_integration"]["ok"]["signing_key"] == company.webhook_signing_key
