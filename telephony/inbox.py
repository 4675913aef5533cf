"""Reads of text conversations for the dashboard's inbox: each conversation with its latest
message, and one conversation's thread."""

from __future__ import annotations

from django.db.models import OuterRef, Q, QuerySet, Subquery

from accounts.models import Account
from callrail.dates import DateWindow
from telephony.models import TextConversation, TextMessage

THREAD_SHOWN = 200  # a thread shows its latest messages, oldest of them first


def conversation_list(
    *,
    account: Account,
    company_ids: list[int],
    window: DateWindow | None = None,
    search: str = "",
    needs_reply: bool = False,
) -> QuerySet[TextConversation]:
    """Conversations with a message in ``window`` (the API's ``date_range`` on conversations),
    the latest first, each annotated with its last message (``last_content``,
    ``last_direction``). ``needs_reply``: only those whose last message came from the customer."""
    latest = TextMessage.objects.filter(conversation=OuterRef("pk")).order_by("-created_at", "-id")
    queryset = (
        TextConversation.objects.filter(account=account, company_id__in=company_ids)
        .select_related("company", "current_tracker", "person")
        .annotate(
            last_content=Subquery(latest.values("content")[:1]),
            last_direction=Subquery(latest.values("direction")[:1]),
        )
    )
    if window is not None:
        queryset = queryset.filter(**window.lookups("last_message_at"))
    term = search.strip()
    if term:
        condition = Q(customer_name__icontains=term) | Q(customer_phone_number__icontains=term)
        digits = "".join(ch for ch in term if ch.isdigit())
        if len(digits) >= 4:
            condition |= Q(customer_phone_number__contains=digits)
        condition |= Q(messages__content__icontains=term)
        queryset = queryset.filter(pk__in=TextConversation.objects.filter(condition).values("pk"))
    if needs_reply:
        queryset = queryset.filter(last_direction=TextMessage.Direction.INCOMING)
    return queryset.order_by("-last_message_at", "-id")


def conversation_thread(conversation: TextConversation) -> list[TextMessage]:
    """The conversation's latest messages, oldest first, with who sent the outgoing ones."""
    newest = list(conversation.messages.select_related("user").order_by("-created_at", "-id")[:THREAD_SHOWN])
    newest.reverse()
    return newest
