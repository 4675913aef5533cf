"""Sign-ins in the audit trail. Django's authentication signals are the one place every
sign-in passes (the dashboard's form, an invitation or password reset that signs the user
in, the Django admin), successful or not."""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.audit import audit_record, client_ip
from accounts.models import User


def _ip(request: HttpRequest | None) -> str | None:
    return client_ip(request) if request is not None else None


@receiver(user_logged_in, dispatch_uid="accounts-audit-signed-in")
def signed_in(sender: Any, *, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if isinstance(user, User):
        audit_record(
            account=user.account_id, action="sign_in.succeeded", target=user, actor=user, ip_address=_ip(request)
        )


@receiver(user_logged_out, dispatch_uid="accounts-audit-signed-out")
def signed_out(sender: Any, *, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if isinstance(user, User):
        audit_record(
            account=user.account_id, action="sign_in.signed_out", target=user, actor=user, ip_address=_ip(request)
        )


@receiver(user_login_failed, dispatch_uid="accounts-audit-sign-in-failed")
def sign_in_failed(
    sender: Any, *, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """Recorded in the account of the address tried; an address nobody has belongs to no
    account's trail (and what strangers type is not kept)."""
    email = str(credentials.get("username") or credentials.get("email") or "").strip().lower()
    user = User.objects.filter(email=email).first() if email else None
    if user is not None:
        audit_record(
            account=user.account_id,
            action="sign_in.failed",
            target=user,
            actor=None,
            actor_label=email,
            ip_address=_ip(request),
        )
