"""CallRail's webhook signature: ``Signature: base64(HMAC-SHA1(signing key, raw body))``.

Receivers recompute it over the exact bytes they received (reference, "Webhooks /
Security"). Each company has its own key, shown to admins and rotatable.
"""

import base64
import hashlib
import hmac

from django.db import transaction

from accounts.audit import audit_record
from accounts.models import Company, new_signing_key


def signature(*, key: str, body: bytes) -> str:
    digest = hmac.new(key.encode("ascii"), body, hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def signature_valid(*, key: str, body: bytes, candidate: str) -> bool:
    """Constant-time check, as a receiver (or a test) verifies a request."""
    return hmac.compare_digest(signature(key=key, body=body), candidate or "")


@transaction.atomic
def signing_key_rotate(*, company: Company) -> str:
    """Give the company a new random signing key and return it.

    Deliveries sign with the key current at the moment of each attempt, so a
    retry after a rotation carries the new key's signature.
    """
    # Lock the row so two admins rotating at once cannot each be shown a key
    # that is immediately replaced by the other's.
    locked = Company.objects.select_for_update().get(pk=company.pk)
    locked.webhook_signing_key = new_signing_key()
    locked.save(update_fields=["webhook_signing_key", "updated_at"])
    company.webhook_signing_key = locked.webhook_signing_key
    # The key itself never goes into the trail.
    audit_record(account=company.account_id, action="webhook.signing_key_rotated", target=company)
    return locked.webhook_signing_key


def signing_key_reveal(*, company: Company) -> str:
    """The company's signing key, for a person who asked to see it (recorded in the trail)."""
    audit_record(account=company.account_id, action="webhook.signing_key_viewed", target=company)
    return company.webhook_signing_key
