"""The live server the client compatibility tests point the clients at, with the
account of ``seed.py`` behind it, and the environment the runners read."""

import pytest

from api.tests.clients.seed import Seeded, seed_account


def _env(seeded: Seeded, base_url: str, api_key: str) -> dict[str, str]:
    return {
        "CALLRAIL_BASE_URL": f"{base_url}/v3/",
        "CALLRAIL_KEY": api_key,
        "CALLRAIL_ACCOUNT_ID": seeded.account.public_id,
        "COMPANY_ID": seeded.company.public_id,
        "TRACKING_NUMBER": seeded.source_number.number,
        "ANSWERED_CALL_ID": seeded.answered_call.public_id,
        "VOICEMAIL_CALL_ID": seeded.voicemail_call.public_id,
        "VISIT_CALL_ID": seeded.visit_call.public_id,
        "CONVERSATION_ID": seeded.texted_conversation_id,
        "ADMIN_USER_ID": seeded.admin.public_id,
    }


@pytest.fixture
def live_env(live_server, settings):
    """Settings for a live server the clients reach at ``localhost``, under no rate limit."""
    budget = (100_000, 100_000)
    settings.API_RATE_LIMITS = {"general": budget, "sms": budget, "outbound_call": budget}
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost", "127.0.0.1"]
    # Webhook URLs and the recording links the API hands out point at the live server.
    settings.PUBLIC_BASE_URL = live_server.url
    return live_server


@pytest.fixture
def seeded_env(request, live_env, account, company, admin_user, make_api_client) -> tuple[Seeded, dict[str, str]]:
    account_tags = getattr(request, "param", True)
    api_key = make_api_client(admin_user).api_key
    seeded = seed_account(
        base_url=live_env.url,
        account=account,
        company=company,
        admin=admin_user,
        api_key=api_key,
        account_tags=account_tags,
    )
    return seeded, _env(seeded, live_env.url, api_key)


@pytest.fixture
def client_env(seeded_env) -> dict[str, str]:
    return seeded_env[1]
