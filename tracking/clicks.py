"""Clicks on ``tel:`` links and call buttons (``data-calltrk-cta``) reported by swap.js, and the
clicks a call that follows is linked to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tracking.config_cache import CompanyConfig
from tracking.models import ClickEvent, VisitorSession

# A call this soon after a click from the same visitor followed it.
CALL_AFTER_CLICK = timedelta(minutes=30)


@dataclass(frozen=True)
class Click:
    visitor_id: str
    session_key: str
    phone_number: str
    page_url: str


def click_record(config: CompanyConfig, click: Click) -> ClickEvent:
    """Store one click on the visitor's session (or on the visitor alone, for a session that
    never reached us)."""
    session_id = (
        VisitorSession.objects.filter(company_id=config.id, session_key=click.session_key)
        .values_list("pk", flat=True)
        .first()
    )
    return ClickEvent.objects.create(
        account_id=config.account_id,
        company_id=config.id,
        session_id=session_id,
        visitor_id=click.visitor_id,
        phone_number=click.phone_number,
        page_url=click.page_url,
    )


def clicks_before_call(*, company_id: int, visitor_id: str, at: datetime) -> list[ClickEvent]:
    """The visitor's clicks within ``CALL_AFTER_CLICK`` before a call started at ``at``."""
    return list(
        ClickEvent.objects.filter(
            company_id=company_id, visitor_id=visitor_id, clicked_at__gte=at - CALL_AFTER_CLICK, clicked_at__lte=at
        ).order_by("clicked_at")
    )
