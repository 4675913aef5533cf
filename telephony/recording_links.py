"""Links that open one call's recording without logging in or an API key.

The key in the link is the credential: an HMAC of the call's id (and the link's
purpose and expiry) under ``SECRET_KEY``, so nothing is stored and nothing can leak
from the database. Two kinds of link exist:

- ``/telephony/recordings/<call id>?access_key=…`` (``Call.recording_path``): never
  expires; alert emails and the simulator hand it out;
- the v3 API's ``recording`` and ``recording_player`` links
  (``/calls/<call id>/recording…``): signed per purpose, and short-lived for HIPAA
  accounts, whose clients must not store them.
"""

import hashlib
import hmac
import time

from django.conf import settings

from accounts.models import Account


def _signature(message: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), message.encode(), hashlib.sha256).hexdigest()[:20]


def call_recording_key(call_public_id: str) -> str:
    """The key of a call's non-expiring ``/telephony/recordings/`` link (CallRail's
    ``access_key`` links)."""
    return _signature(f"recording:{call_public_id}")


def recording_access_key(call_public_id: str, purpose: str = "redirect", expires: int | None = None) -> str:
    """Unguessable key that lets a browser fetch one call's recording without an API key."""
    return _signature(f"recording:{purpose}:{call_public_id}:{expires or ''}")


def recording_access_key_valid(call_public_id: str, key: str, purpose: str, expires: int | None = None) -> bool:
    return hmac.compare_digest(recording_access_key(call_public_id, purpose, expires), key or "")


# HIPAA accounts only ever get short-lived recording links, which clients must not store.
HIPAA_RECORDING_LINK_SECONDS = 24 * 3600
_RECORDING_PATHS = {"redirect": "/calls/{}/recording/redirect", "player": "/calls/{}/recording"}


def recording_link_expiry(account: Account) -> int | None:
    """When a recording link made now for ``account`` stops working (None: never)."""
    return int(time.time()) + HIPAA_RECORDING_LINK_SECONDS if account.hipaa_account else None


def recording_path(call_public_id: str, purpose: str, expires: int | None = None) -> str:
    """The key-signed path of one call's recording audio (``redirect``) or player page
    (``player``), expiring when ``expires`` is set."""
    key = recording_access_key(call_public_id, purpose, expires)
    query = f"access_key={key}" + (f"&expires={expires}" if expires else "")
    return _RECORDING_PATHS[purpose].format(call_public_id) + "?" + query


def recording_redirect_path(call_public_id: str, expires: int | None = None) -> str:
    """The key-signed path that serves one call's recording audio (expiring when ``expires`` is set)."""
    return recording_path(call_public_id, "redirect", expires)
