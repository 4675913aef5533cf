"""The one kind of link that opens a call's recording (or voicemail) without signing in
or an API key.

A link names the call and the moment it stops working, and carries an HMAC of both under
``SECRET_KEY`` (``access_key``), so nothing is stored and nothing can leak from the
database; it is checked in constant time. Two paths share the same signature:

- ``/calls/<call id>/recording/redirect?access_key=…&expires=…``: the audio itself, proxied
  from the carrier (``telephony.recording_media``), what the API's ``recording`` endpoint
  hands out and what the dashboard's player plays;
- ``/calls/<call id>/recording?access_key=…&expires=…``: a bare page that plays it (the
  API's ``recording_player``).

Every link expires: after 24 hours for HIPAA accounts, whose clients must not store them,
and after ``RECORDING_LINK_DAYS`` otherwise. A link is refused once the account's lifetime
became shorter than what the link still has to run, so switching an account to HIPAA mode
also cuts the links already handed out.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.fields import ascii_digits
from accounts.models import Account
from telephony.links import absolute_url

HIPAA_RECORDING_LINK_SECONDS = 24 * 3600
# Expiries are whole hours: a call's link stays the same for an hour, so a browser may
# cache the audio and a page of calls renders the same links twice in a row.
_ROUNDING = 3600
_SALT = "telephony.recording_links"
# 128 bits of the SHA-256 HMAC: more than enough against guessing, and shorter links.
_KEY_LENGTH = 32


def recording_link_lifetime(account: Account) -> int:
    """How long, in seconds, a recording link made now for ``account`` works."""
    if account.hipaa_account:
        return HIPAA_RECORDING_LINK_SECONDS
    return max(1, int(settings.RECORDING_LINK_DAYS)) * 86400


def recording_link_expiry(account: Account, *, now: float | None = None) -> int:
    """When a link made now for ``account`` stops working (a Unix time, never later than the
    account's lifetime from now)."""
    moment = time.time() if now is None else now
    return int(moment + recording_link_lifetime(account)) // _ROUNDING * _ROUNDING


def recording_access_key(call_public_id: str, expires: int, *, secret: str | None = None) -> str:
    """The link's credential: an HMAC over the call id and the expiry."""
    message = f"{call_public_id}:{expires}"
    return salted_hmac(_SALT, message, secret=secret, algorithm="sha256").hexdigest()[:_KEY_LENGTH]


def _key_matches(call_public_id: str, expires: int, key: str) -> bool:
    # The old secrets keep working through a rotation of SECRET_KEY (SECRET_KEY_FALLBACKS).
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(
        constant_time_compare(recording_access_key(call_public_id, expires, secret=secret), key) for secret in secrets
    )


@dataclass(frozen=True)
class RecordingLink:
    """A link's parameters, as read from a request (not yet checked)."""

    call_public_id: str
    access_key: str
    expires: int

    @classmethod
    def from_query(cls, call_public_id: str, query: Mapping[str, str]) -> RecordingLink | None:
        """The link in ``query``, or None when it lacks a key or a readable expiry."""
        key, raw_expires = query.get("access_key") or "", query.get("expires") or ""
        if not key or not ascii_digits(raw_expires, 12):
            return None
        return cls(call_public_id=call_public_id, access_key=key, expires=int(raw_expires))

    def signature_valid(self) -> bool:
        return _key_matches(self.call_public_id, self.expires, self.access_key)

    def live_for(self, account: Account, *, now: float | None = None) -> bool:
        """Not expired, and not running longer than ``account`` allows today."""
        moment = time.time() if now is None else now
        return moment < self.expires <= moment + recording_link_lifetime(account)


def _query(call_public_id: str, expires: int) -> str:
    return f"access_key={recording_access_key(call_public_id, expires)}&expires={expires}"


def recording_audio_path(call_public_id: str, expires: int) -> str:
    """The signed path of one call's recording audio."""
    return reverse("recording-audio", kwargs={"call_id": call_public_id}) + "?" + _query(call_public_id, expires)


def recording_player_path(call_public_id: str, expires: int) -> str:
    """The signed path of the bare page that plays one call's recording."""
    return reverse("recording-player", kwargs={"call_id": call_public_id}) + "?" + _query(call_public_id, expires)


def recording_audio_url(call_public_id: str, account: Account, *, now: float | None = None) -> str:
    """An absolute link to the audio, for people and API clients, expiring as ``account`` says."""
    return absolute_url(recording_audio_path(call_public_id, recording_link_expiry(account, now=now)))


def recording_player_url(call_public_id: str, account: Account, *, now: float | None = None) -> str:
    return absolute_url(recording_player_path(call_public_id, recording_link_expiry(account, now=now)))
