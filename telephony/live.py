"""Calls as they happen: those ringing or in progress now, and the latest ones.

Each read is one bounded, index-backed query (calls by company and start time), cheap
enough for a page that polls every few seconds.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Account
from telephony.models import Call

LIVE_STATUSES = (Call.Status.QUEUED, Call.Status.RINGING, Call.Status.IN_PROGRESS)
# Twilio ends every call after four hours: a call still "live" after that is one whose
# final status callback never reached us, not a call in progress.
LIVE_CALL_LONGEST = timedelta(hours=4)
LIVE_CALLS_SHOWN = 50
LATEST_CALLS_SHOWN = 25


def _calls(account: Account, company_ids: list[int]) -> QuerySet[Call]:
    return (
        Call.objects.filter(account=account, company_id__in=company_ids)
        .not_spam()
        .select_related("tracker", "company")
        .order_by("-start_time", "-id")
    )


def calls_live(*, account: Account, company_ids: list[int], now: datetime | None = None) -> list[Call]:
    """Calls ringing or in progress now, the newest first."""
    now = now or timezone.now()
    return list(
        _calls(account, company_ids).filter(status__in=LIVE_STATUSES, start_time__gte=now - LIVE_CALL_LONGEST)[
            :LIVE_CALLS_SHOWN
        ]
    )


def calls_latest(*, account: Account, company_ids: list[int], limit: int = LATEST_CALLS_SHOWN) -> list[Call]:
    """The latest calls, live or over, the newest first."""
    return list(_calls(account, company_ids)[:limit])
