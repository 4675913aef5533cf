"""Texts: conversations with customers, the latest first, each opened to read the thread and
answer. Answers go through the same service as the API's ``POST text-messages.json``, so
the same webhooks fire; only editors answer (reporting users read)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from accounts.phone import formatted
from dashboard.access import SAFE_METHODS, Scope, dashboard_view
from dashboard.paging import keyset_page
from dashboard.shell import shell_context
from dashboard.views.pages import PageView
from telephony.inbox import conversation_list, conversation_thread
from telephony.models import TextConversation, TextMessage
from telephony.services.texts import TEXT_MAX_LENGTH, text_message_send

DATE_PARAMS = ("date_range", "start_date", "end_date")
NEEDS_REPLY = "needs_reply"
SHOW_CHOICES = {"": "All conversations", NEEDS_REPLY: "Needs a reply"}
PAGE_SIZE = 25


class TextsView(PageView):
    template_name = "dashboard/texts.html"
    title = "Texts"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        state = self.scope.state
        search = state.get("search")
        show = state.get("show") if state.get("show") in SHOW_CHOICES else ""
        # An inbox shows every conversation unless a period is asked for (as the API's list does).
        dated = any(state.get(name) for name in DATE_PARAMS)
        conversations = conversation_list(
            account=self.scope.account,
            company_ids=self.scope.company_ids,
            window=self.scope.window if dated else None,
            search=search,
            needs_reply=show == NEEDS_REPLY,
        )
        page = keyset_page(conversations, page=state.page, time_field="last_message_at", size=PAGE_SIZE)
        context.update(
            page=page,
            search=search,
            show=show,
            show_choices=SHOW_CHOICES,
            filtered=bool(search or show),
            dated=dated,
        )
        return context


class ReplyForm(forms.Form):
    content = forms.CharField(
        label="Reply",
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control", "maxlength": TEXT_MAX_LENGTH}),
    )


def _conversation(scope: Scope, conversation_id: str) -> TextConversation:
    """One of the user's companies' conversations; 404 for anyone else's (never 403)."""
    conversation = (
        TextConversation.objects.filter(account=scope.account, company__in=scope.companies, public_id=conversation_id)
        .select_related("company", "current_tracker", "initial_tracker", "person")
        .first()
    )
    if conversation is None:
        raise Http404("No such conversation.")
    return conversation


def reply_refusal(conversation: TextConversation) -> str:
    """Why nobody can answer this conversation from the dashboard ('' when they can)."""
    if conversation.opted_out:
        return "This customer opted out of text messages (they texted STOP)."
    tracker = conversation.current_tracker
    if tracker is None or not tracker.is_active:
        return "The tracking number of this conversation is no longer active."
    if not tracker.sms_enabled:
        return f"Texting is not enabled on the tracker “{tracker.name}”."
    return ""


@dashboard_view
def conversation_detail(request: HttpRequest, conversation_id: str) -> HttpResponse:
    """The thread, and (editors) the reply box. Someone else's conversation is a 404 before a
    reporting user's POST is a 403, so neither tells whether it exists."""
    scope: Scope = request.scope  # type: ignore[attr-defined]
    conversation = _conversation(scope, conversation_id)
    if request.method not in SAFE_METHODS and not scope.can_edit:
        raise PermissionDenied("Reporting users cannot send texts.")
    refusal = reply_refusal(conversation)
    form = ReplyForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if refusal:
            form.add_error(None, refusal)
        elif form.is_valid():
            try:
                text_message_send(
                    account=scope.account,
                    company=conversation.company,
                    customer_phone_number=conversation.customer_phone_number,
                    content=form.cleaned_data["content"],
                    user=scope.user,
                )
            except ValidationError as exc:
                form.add_error("content", exc)
            else:
                sent = conversation.messages.order_by("-created_at", "-id").first()
                if sent is not None and sent.status == "failed":
                    messages.error(request, "The carrier did not take the text. Try again in a moment.")
                else:
                    messages.success(request, "Text sent.")
                url = reverse("dashboard:text-conversation", args=[conversation.public_id])
                return HttpResponseRedirect(f"{url}{scope.state.shared_query}#reply")
        status = 400
    context = {
        **shell_context(scope, current="Texts"),
        "title": conversation.customer_name or formatted(conversation.customer_phone_number),
        "conversation": conversation,
        "thread": conversation_thread(conversation),
        "form": form,
        "refusal": refusal,
        "incoming": TextMessage.Direction.INCOMING,
    }
    return render(request, "dashboard/text_conversation.html", context, status=status)
