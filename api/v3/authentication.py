"""``Authorization: Token token="KEY"``, CallRail's scheme (quoted or unquoted)."""

import re
from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.models import ApiKey, User

# token="abc", token=abc, token='abc', or a bare key after "Token".
_HEADER = re.compile(r"""^Token\s+(?:token\s*=\s*)?["']?([^"'\s]+)["']?\s*$""", re.IGNORECASE)

# Writing last_used_at on every request would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[User, ApiKey] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        match = _HEADER.match(header.strip())
        if not match:
            raise exceptions.AuthenticationFailed("Invalid authorization header.")
        digest = ApiKey.hash(match.group(1))
        key = (
            ApiKey.objects.select_related("user", "account")
            .filter(digest=digest, revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid API key.")
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return key.user, key

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) when credentials are missing.
        return 'Token realm="api"'
