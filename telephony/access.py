"""The audit trail of HIPAA accounts: each look at a call's details or recording is written
down (who, when, from where). Other accounts' reads leave no trace."""

import ipaddress

from accounts.models import ApiKey, User
from telephony.models import Call, CallAccess


def _ip_or_none(ip: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((ip or "").strip()))
    except ValueError:
        return None


def call_access_record(call: Call, actor: User | ApiKey | None, ip: str | None, what: str) -> CallAccess | None:
    """Note that ``actor`` (a user, or the API key that acts as one) opened ``what``
    (``call`` or ``recording``) of ``call`` from ``ip``, if its account is in HIPAA mode."""
    if not call.account.hipaa_account:
        return None
    api_key = actor if isinstance(actor, ApiKey) else None
    user = api_key.user if api_key is not None else actor
    return CallAccess.objects.create(
        account_id=call.account_id,
        call=call,
        call_public_id=call.public_id,
        user=user if isinstance(user, User) else None,
        api_key=api_key,
        what=CallAccess.What(what),
        ip_address=_ip_or_none(ip),
    )
