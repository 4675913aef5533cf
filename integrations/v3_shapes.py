"""What the CallRail v3 objects look like, for the two things that send them: the REST
API (``api/``) and webhook bodies (``integrations/webhooks/payloads.py``).

Both read the shared pieces here: the time format. Rendering a whole call or form
submission is the API's serializers' job, and webhook bodies embed exactly what the
endpoints show; but ``integrations`` sits below ``api`` and may not import it. So the
API layer hands its renderers over when it starts (``ApiConfig.ready`` calls
``v3_renderers_register``), and webhook payloads ask for them here.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from integrations.models import Integration
from telephony.models import Call
from tracking.models import FormSubmission


def iso8601(value: datetime | None, tz: str | ZoneInfo | None = None) -> str | None:
    """``2016-01-29T12:43:10.286-05:00``: milliseconds and an offset, as the reference shows."""
    if value is None:
        return None
    zone = ZoneInfo(tz) if isinstance(tz, str) else (tz or ZoneInfo("UTC"))
    local = timezone.localtime(value, zone)
    text = local.isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z") if tz is None else text


class CallRenderer(Protocol):
    def __call__(
        self, call: Call, *, fields: Sequence[str], time_zone: str, integrations: list[Integration] | None
    ) -> Mapping[str, Any]:
        """The v3 call object limited to ``fields``, times in ``time_zone``. ``integrations``
        (the company's active ones, when the caller has them) saves a query."""
        ...


class FormSubmissionRenderer(Protocol):
    def __call__(self, submission: FormSubmission, *, fields: Sequence[str], time_zone: str) -> Mapping[str, Any]:
        """The v3 form submission object limited to ``fields``, times in ``time_zone``."""
        ...


@dataclass(frozen=True)
class V3Renderers:
    call: CallRenderer
    form_submission: FormSubmissionRenderer


_registered: V3Renderers | None = None


def v3_renderers_register(renderers: V3Renderers) -> None:
    global _registered
    _registered = renderers


def v3_renderers() -> V3Renderers:
    if _registered is None:
        raise ImproperlyConfigured(
            "No v3 renderers are registered: webhook bodies embed the API's call and form objects, "
            "so the 'api' app must be in INSTALLED_APPS (its ready() registers them)."
        )
    return _registered
