"""Users of each role for API tests: ``manager`` and ``reporting`` see only the
companies they are given; admins see the whole account."""

from collections.abc import Iterable

from rest_framework.test import APIClient

from accounts.models import Account, Company, User
from accounts.services import api_key_create


def user_with_role(account: Account, role: str, companies: Iterable[Company] = (), email: str | None = None) -> User:
    user = User.objects.create_user(
        email=email or f"{role}-{Account.objects.count()}-{User.objects.count()}@example.com",
        password="pw",
        account=account,
        role=role,
        first_name=role.title(),
        last_name="Tester",
    )
    user.companies.set(companies)
    return user


def client_for(user: User) -> APIClient:
    _, plain = api_key_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f'Token token="{plain}"')
    return client


def assert_needs_a_key(method: str, path: str) -> None:
    """Without an Authorization header the answer is 401 ``{"error": ...}``."""
    response = getattr(APIClient(), method.lower())(path, format="json")
    assert response.status_code == 401, response.content
    assert response.json() == {"error": "HTTP Token: Access denied."}


def assert_rate_limited(client: APIClient, method: str, path: str, settings, body: dict | None = None) -> None:
    """Past the account's hourly limit (set to 1 here) the answer is 429 with Retry-After."""
    settings.API_RATE_LIMITS = {"general": (1, 10)}
    call = getattr(client, method.lower())
    call(path, body, format="json") if body is not None else call(path)
    response = call(path, body, format="json") if body is not None else call(path)
    assert response.status_code == 429, response.content
    assert "rate limit" in response.json()["error"]
    assert int(response["Retry-After"]) > 0
