"""Writes for accounts, users and API keys."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import Account, ApiKey, Company, User


@transaction.atomic
def api_key_create(*, user: User, name: str = "") -> tuple[ApiKey, str]:
    """Create a key for ``user``. Returns the row and the plain key, which is never stored."""
    plain = ApiKey.generate()
    key = ApiKey.objects.create(
        account_id=user.account_id, user=user, name=name, digest=ApiKey.hash(plain), prefix=plain[:8]
    )
    return key, plain


def api_key_revoke(*, key: ApiKey) -> None:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at", "updated_at"])


@dataclass(frozen=True)
class Bootstrap:
    account: Account
    user: User
    api_key: str
    created: bool


@transaction.atomic
def admin_bootstrap(*, email: str, password: str, account_name: str) -> Bootstrap:
    """Create the account and its admin if missing, and always a fresh API key.

    Idempotent on the email address, so operators can run it on every deploy.
    """
    user = User.objects.select_related("account").filter(email=email.lower()).first()
    created = user is None
    if user is None:
        account = Account.objects.create(name=account_name)
        user = User.objects.create_user(
            email=email, password=password, account=account, role=User.Role.ADMIN, is_staff=True, is_superuser=True
        )
    _, plain = api_key_create(user=user, name="bootstrap")
    return Bootstrap(account=user.account, user=user, api_key=plain, created=created)


def company_create(*, account: Account, name: str, time_zone: str | None = None) -> Company:
    return Company.objects.create(account=account, name=name, time_zone=time_zone or account.time_zone)
