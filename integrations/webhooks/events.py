"""Which event goes to which URLs: the Webhooks integration's config and its trigger."""

from typing import Any

from django.db import transaction
from django.db.models import Q

from accounts.models import Company
from callrail.versioned_cache import VersionedCache
from integrations.models import Integration, IntegrationTrigger, WebhookEvent
from telephony.models import Call

Event = WebhookEvent.Event

# The Webhooks integration config key of each event (reference, "Webhook Configuration Object").
CONFIG_KEYS: dict[str, str] = {
    Event.PRE_CALL: "pre_call_webhook",
    Event.CALL_ROUTING_COMPLETE: "answered_call_webhook",
    Event.POST_CALL: "post_call_webhook",
    Event.CALL_MODIFIED: "updated_call_webhook",
    Event.OUTBOUND_POST_CALL: "post_outbound_call_webhook",
    Event.OUTBOUND_CALL_MODIFIED: "updated_outbound_call_webhook",
    Event.TEXT_MESSAGE_RECEIVED: "sms_received_webhook",
    Event.TEXT_MESSAGE_SENT: "sms_sent_webhook",
    Event.FORM_SUBMISSION: "form_captured_webhook",
}

CALL_EVENTS = frozenset(
    {
        Event.PRE_CALL,
        Event.CALL_ROUTING_COMPLETE,
        Event.POST_CALL,
        Event.CALL_MODIFIED,
        Event.OUTBOUND_POST_CALL,
        Event.OUTBOUND_CALL_MODIFIED,
    }
)
# Events about a call that has ended: every trigger criterion can be judged.
ENDED_CALL_EVENTS = frozenset(
    {Event.POST_CALL, Event.CALL_MODIFIED, Event.OUTBOUND_POST_CALL, Event.OUTBOUND_CALL_MODIFIED}
)


def active_integrations(company: Company) -> list[Integration]:
    """The company's active integrations (at most one per type); call payloads list them too."""
    return list(Integration.objects.filter(company=company, state=Integration.State.ACTIVE).order_by("id"))


def webhooks_integration(integrations: list[Integration]) -> Integration | None:
    return next((i for i in integrations if i.type == Integration.Type.WEBHOOKS), None)


def event_urls(integration: Integration, event: str) -> list[str]:
    """The receiver URLs configured for ``event``, de-duplicated, in configured order."""
    configured = (integration.config or {}).get(CONFIG_KEYS[event]) or []
    if isinstance(configured, str):
        configured = [configured]
    urls: list[str] = []
    for url in configured:
        if isinstance(url, str) and url.strip() and url.strip() not in urls:
            urls.append(url.strip())
    return urls


# Company id -> the events its active Webhooks integration has receiver URLs for. Every
# call, text and form asks, and most companies have none: this answers without a query
# (nor a savepoint). Saving or deleting an integration bumps the version in Redis
# (``receivers.connect``); WEBHOOKS_CONFIG_CACHE_TTL bounds a change made without a save.
CONFIGURED_VERSION_KEY = "{versions}:webhooks:integrations"
_configured = VersionedCache(CONFIGURED_VERSION_KEY, ttl_setting="WEBHOOKS_CONFIG_CACHE_TTL")


def configured_events(company_id: int) -> frozenset[str]:
    """The events the company's active Webhooks integration sends anywhere (usually none)."""
    return _configured.get_or_load(company_id, lambda: _configured_events_read(company_id))


def _configured_events_read(company_id: int) -> frozenset[str]:
    # A savepoint: this may run inside the transaction recording a call, which a
    # failed query must not abort.
    with transaction.atomic():
        integration = (
            Integration.objects.filter(
                company_id=company_id, state=Integration.State.ACTIVE, type=Integration.Type.WEBHOOKS
            )
            .only("config")
            .order_by("id")
            .first()
        )
    if integration is None:
        return frozenset()
    return frozenset(event for event in CONFIG_KEYS if event_urls(integration, event))


def configured_events_forget(**kwargs: Any) -> None:
    _configured.forget()


def trigger_for(integration: Integration) -> IntegrationTrigger | None:
    """The integration's own trigger, else the company default (no integration)."""
    triggers = list(
        IntegrationTrigger.objects.filter(company_id=integration.company_id).filter(
            Q(integration=integration) | Q(integration__isnull=True)
        )
    )
    own = [trigger for trigger in triggers if trigger.integration_id == integration.pk]
    if own:
        return own[0]
    return triggers[0] if triggers else None


def _lead_status(value: str | None) -> str | None:
    # The reference types trigger lead_status as an integer and shows `1`.
    return {"1": "good_lead", "0": "not_a_lead"}.get(str(value), value) if value not in (None, "") else None


def call_matches_trigger(call: Call, trigger: IntegrationTrigger | None, *, ended: bool) -> bool:
    """Every set criterion must hold (reference §2.8: criteria are ANDed, null = unused).

    Before the call ends (pre-call, routing complete) only what is known at that
    moment is judged: the tracker and whether it is a first call. Duration,
    voicemail, missed and lead status wait for the events after the call.
    """
    if trigger is None:
        return True
    if trigger.tracker_ids:
        tracker_id = call.tracker.public_id if call.tracker else None
        if tracker_id not in trigger.tracker_ids:
            return False
    call_type = trigger.call_type
    if call_type == IntegrationTrigger.CallType.FIRST_CALL and not call.first_call:
        return False
    if not ended:
        return True
    if call_type == IntegrationTrigger.CallType.VOICEMAIL and not call.voicemail:
        return False
    if call_type == IntegrationTrigger.CallType.MISSED_AND_VOICEMAIL and call.answered and not call.voicemail:
        return False
    duration = call.duration or 0
    if trigger.min_duration is not None and duration < trigger.min_duration:
        return False
    if trigger.max_duration is not None and duration > trigger.max_duration:
        return False
    wanted_lead_status = _lead_status(trigger.lead_status)
    return not (wanted_lead_status and call.lead_status != wanted_lead_status)
