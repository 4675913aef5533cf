"""Failed sign-ins are throttled per email address and per IP address (django-axes)."""

from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import Client, RequestFactory

from accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator() -> User:
    return User.objects.create_superuser(email="root@example.com", password="right-password")


def sign_in(client: Client, email: str, password: str, ip: str = "203.0.113.5") -> Any:
    return client.post("/admin/login/?next=/admin/", {"username": email, "password": password}, REMOTE_ADDR=ip)


def test_the_right_password_is_refused_after_five_wrong_ones_until_unlocked(client, operator):
    for _ in range(4):
        assert sign_in(client, "root@example.com", "wrong").status_code == 200  # the form again
    assert sign_in(client, "root@example.com", "wrong").status_code == 429  # the fifth locks
    locked = sign_in(client, "root@example.com", "right-password")
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    # From another address, the email address is still locked.
    assert sign_in(client, "ROOT@example.com", "right-password", ip="198.51.100.7").status_code == 429

    call_command("axes_reset_username", "root@example.com")
    assert sign_in(client, "root@example.com", "right-password").status_code == 302


def test_one_address_trying_many_emails_is_locked_too(client, operator):
    for n in range(5):
        sign_in(client, f"guess{n}@example.com", "wrong")
    assert sign_in(client, "root@example.com", "right-password").status_code == 429
    assert sign_in(client, "root@example.com", "right-password", ip="198.51.100.7").status_code == 302


def test_any_sign_in_view_that_passes_the_request_is_covered(account):
    User.objects.create_user(email="alice@example.com", password="right-password", account=account)
    factory = RequestFactory()
    for _ in range(5):
        request = factory.post("/sign-in", REMOTE_ADDR="203.0.113.9")
        assert authenticate(request, email="alice@example.com", password="wrong") is None
    request = factory.post("/sign-in", REMOTE_ADDR="198.51.100.9")
    assert authenticate(request, email="Alice@Example.com", password="right-password") is None
    call_command("axes_reset")
    request = factory.post("/sign-in", REMOTE_ADDR="198.51.100.9")
    assert authenticate(request, email="alice@example.com", password="right-password") is not None
