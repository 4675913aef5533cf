"""A company's webhooks (admins and managers): where each event goes, the signing key
(admins), test events, and the delivery log with each attempt, the payload and our
signature, and redelivery. Writes go through the integrations services, so the rules are
the API's: the same URL checks, the same outbox and delivery."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache

from accounts.models import Company
from dashboard.access import EDITORS
from dashboard.account_forms import TestEventForm, WebhooksForm
from dashboard.views.account_base import AccountPage, ConfirmView, paginate
from integrations.models import Integration, WebhookDelivery, WebhookEvent
from integrations.services import integration_create, integration_update
from integrations.webhooks.delivery import webhook_event_redeliver, webhook_request_headers
from integrations.webhooks.events import CONFIG_KEYS
from integrations.webhooks.outbox import WebhookTestError, webhook_test_event_send
from integrations.webhooks.signing import signing_key_reveal, signing_key_rotate

State = WebhookEvent.State

# The delivery log's status filter: the outbox states, with "pending" split by whether an
# attempt already failed.
STATUS_FILTERS: dict[str, str] = {
    "delivered": "Delivered",
    "failed": "Failed",
    "retrying": "Retrying",
    "queued": "Queued",
    "canceled": "Not sent",
}


def delivery_status(event: WebhookEvent) -> str:
    """The key of ``STATUS_FILTERS`` (or "sending") that describes the event now."""
    if event.state == State.PENDING:
        return "retrying" if event.attempts else "queued"
    if event.state == State.DELIVERING:
        return "sending"
    return "canceled" if event.state == State.CANCELED else str(event.state)


def webhooks_of(company: Company) -> Integration | None:
    return Integration.objects.filter(company=company, type=Integration.Type.WEBHOOKS).first()


def switched_off_because(integration: Integration) -> WebhookEvent | None:
    """The last event given up on, which made delivery switch the integration to failed."""
    return (
        WebhookEvent.objects.filter(integration=integration, state=State.FAILED).order_by("-finished_at", "-pk").first()
    )


class IntegrationsMixin:
    """Editors only; a company is chosen with the switcher (needed to change anything)."""

    roles: tuple[str, ...] | None = EDITORS
    company_switcher = True
    nav = "Integrations"
    scope: Any
    request: HttpRequest

    def company_or_404(self) -> Company:
        if self.scope.company is None:
            raise Http404("Choose a company first.")
        return self.scope.company

    def page_url(self, name: str = "dashboard:integrations", **kwargs: Any) -> str:
        query = f"?company={self.scope.company.public_id}" if self.scope.company else ""
        return reverse(name, kwargs=kwargs or None) + query

    def require_admin(self) -> None:
        # The signing key is the account's secret with its receivers: admins only, as in the API.
        if not self.scope.user.is_admin:
            raise PermissionDenied("Only administrators see or rotate signing keys.")


class IntegrationsView(IntegrationsMixin, AccountPage):
    template_name = "dashboard/account/integrations.html"
    title = "Integrations"
    lead = "Send your calls, texts and forms to your own systems as they happen, with signed webhooks."

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        company = self.scope.company
        if company is None:
            return {**context, "companies": self.companies_overview(), "event_total": len(CONFIG_KEYS)}
        integration = webhooks_of(company)
        recent = WebhookEvent.objects.filter(company=company).select_related("integration")[:5]
        for event in recent:
            event.status = delivery_status(event)  # type: ignore[attr-defined]
        return {
            **context,
            "company": company,
            "integration": integration,
            "form": kwargs.get("form") or WebhooksForm(initial=WebhooksForm.initial_for(integration)),
            "test_form": TestEventForm(),
            "failure": switched_off_because(integration)
            if integration and integration.state == Integration.State.FAILED
            else None,
            "recent": recent,
            "signing_key": kwargs.get("signing_key"),
        }

    def companies_overview(self) -> list[Company]:
        last = WebhookEvent.objects.filter(company=OuterRef("pk")).order_by("-created_at", "-pk")
        companies: list[Company] = list(
            Company.objects.filter(pk__in=self.scope.company_ids)
            .annotate(
                last_event_at=Subquery(last.values("created_at")[:1]), last_state=Subquery(last.values("state")[:1])
            )
            .order_by("name", "pk")
        )
        integrations = {
            row.company_id: row
            for row in Integration.objects.filter(company__in=companies, type=Integration.Type.WEBHOOKS)
        }
        for company in companies:
            integration = integrations.get(company.pk)
            company.webhooks = integration  # type: ignore[attr-defined]
            company.event_count = sum(  # type: ignore[attr-defined]
                1 for key in CONFIG_KEYS.values() if integration and (integration.config or {}).get(key)
            )
        return companies

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        company = self.company_or_404()
        form = WebhooksForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        config = {key: form.cleaned_data[key] for key in CONFIG_KEYS.values()}
        integration = webhooks_of(company)
        if integration is None:
            if not any(config.values()):
                messages.error(request, "Add at least one URL to set up webhooks.")
                return HttpResponseRedirect(self.page_url())
            integration_create(account=company.account, company=company, type_=Integration.Type.WEBHOOKS, config=config)
        else:
            integration_update(integration=integration, config=config)
        messages.success(request, f"Webhook URLs for {company.name} are saved.")
        return HttpResponseRedirect(self.page_url())


class IntegrationStateView(IntegrationsMixin, AccountPage):
    """Turn a company's webhooks off, or back on (after they were switched off for failing)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        company = self.company_or_404()
        integration = webhooks_of(company)
        if integration is None:
            raise Http404("This company has no webhooks.")
        turn_on = request.POST.get("state") == Integration.State.ACTIVE
        integration_update(
            integration=integration, state=Integration.State.ACTIVE if turn_on else Integration.State.DISABLED
        )
        messages.success(request, f"Webhooks for {company.name} are {'on' if turn_on else 'off'}.")
        return HttpResponseRedirect(self.page_url())


class TestEventView(IntegrationsMixin, AccountPage):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        company = self.company_or_404()
        form = TestEventForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose an event to send.")
            return HttpResponseRedirect(self.page_url())
        try:
            rows = webhook_test_event_send(company=company, event=form.cleaned_data["event"])
        except WebhookTestError as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(self.page_url())
        label = WebhookEvent.Event(form.cleaned_data["event"]).label
        messages.success(request, f"Test {label.lower()} event sent to {len(rows)} URL{'s' if len(rows) > 1 else ''}.")
        return HttpResponseRedirect(self.page_url("dashboard:webhook-deliveries"))


class SigningKeyView(IntegrationsView):
    """POST shows the company's signing key on the integrations page (and records who looked)."""

    http_method_names = ["post"]

    @method_decorator(never_cache)
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.require_admin()
        key = signing_key_reveal(company=self.company_or_404())
        return self.render_to_response(self.get_context_data(signing_key=key))


class SigningKeyRotateView(IntegrationsMixin, ConfirmView):
    title = "Rotate the signing key"
    button = "Rotate key"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        self.require_admin()
        self.question = f"Rotate the signing key of {self.company_or_404().name}?"
        return super().get_context_data(**kwargs)

    def details(self) -> str:
        return (
            "Webhooks are signed with the new key from the next attempt on, retries included. Receivers "
            "that verify the Signature header refuse them until they have the new key."
        )

    def cancel_url(self) -> str:
        return self.page_url()

    def confirmed(self) -> str:
        self.require_admin()
        signing_key_rotate(company=self.company_or_404())
        messages.success(self.request, "The signing key is rotated. Reveal it to give it to your receivers.")
        return self.page_url()


class DeliveriesMixin(IntegrationsMixin):
    def events(self) -> QuerySet[WebhookEvent]:
        return WebhookEvent.objects.filter(company_id__in=self.scope.company_ids).select_related(
            "company", "integration"
        )


class DeliveriesView(DeliveriesMixin, AccountPage):
    template_name = "dashboard/account/webhook_deliveries.html"
    title = "Delivery log"
    lead = "Every webhook owed to a receiver: its attempts, the answers and what happens next."

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        state = self.scope.state
        events = self.events()
        event = state.get("event")
        if event in WebhookEvent.Event.values:
            events = events.filter(event=event)
        status = state.get("status")
        if status == "retrying":
            events = events.filter(state=State.PENDING, attempts__gt=0)
        elif status == "queued":
            events = events.filter(state__in=(State.PENDING, State.DELIVERING), attempts=0)
        elif status in STATUS_FILTERS:
            events = events.filter(state=status)
        page = paginate(events, state)
        last_attempts: dict[int, WebhookDelivery] = {}
        for delivery in WebhookDelivery.objects.filter(webhook_event__in=page.object_list).order_by("created_at", "pk"):
            last_attempts[delivery.webhook_event_id] = delivery
        for row in page.object_list:
            row.status = delivery_status(row)
            row.last_attempt = last_attempts.get(row.pk)
        return {
            **super().get_context_data(**kwargs),
            "page": page,
            "events": WebhookEvent.Event.choices,
            "statuses": STATUS_FILTERS,
            "pending": any(row.status in ("queued", "retrying", "sending") for row in page.object_list),
            "filtered": bool(event or status),
        }


class DeliveryView(DeliveriesMixin, AccountPage):
    template_name = "dashboard/account/webhook_delivery.html"
    title = "Webhook event"

    def get_event(self) -> WebhookEvent:
        event = self.events().filter(event_id=self.kwargs["event_id"]).first()
        if event is None:
            raise Http404("No such event.")
        return event

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        event = self.get_event()
        event.status = delivery_status(event)  # type: ignore[attr-defined]
        self.title = f"{event.get_event_display()} event"
        body = event.body.encode("utf-8")
        headers = webhook_request_headers(
            event, body=body, signing_key=event.company.webhook_signing_key, attempt=max(event.attempts, 1)
        )
        try:
            payload = json.dumps(json.loads(event.body), indent=2, ensure_ascii=False)
        except ValueError:
            payload = event.body
        return {
            **super().get_context_data(**kwargs),
            "event": event,
            "headers": headers,
            "payload": payload,
            "attempts": event.deliveries.order_by("attempt", "created_at"),
            "integration_active": event.integration.state == Integration.State.ACTIVE,
        }


class RedeliverView(DeliveryView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        event = self.get_event()
        if not event.is_finished:
            messages.error(request, "This event is still being delivered.")
        else:
            webhook_event_redeliver(event=event)
            messages.success(request, "Sent again, with the same event id.")
        return HttpResponseRedirect(
            reverse("dashboard:webhook-delivery", kwargs={"event_id": event.event_id})
            + f"?company={event.company.public_id}"
        )
