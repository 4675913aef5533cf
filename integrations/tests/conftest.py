"""Real rows for webhook and alert tests, and a real HTTP receiver on loopback."""

import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Company
from integrations.models import Integration, WebhookEvent
from integrations.webhooks.delivery import webhook_event_deliver
from telephony.models import Call, TextConversation, TextMessage
from telephony.tests.conftest import twilio_post  # noqa: F401 - Twilio's signed requests, for the end-to-end tests
from tracking.models import CallFlow, FormSubmission, Person, Tracker, TrackingNumber, VisitorSession


@dataclass
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Answer:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    # Hold the request this long before answering (or until the test ends).
    hang: float = 0.0


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout, killed worker) leaves a broken pipe: expected here.
        pass


class Receiver:
    """A threaded ``http.server`` on 127.0.0.1 that records requests and answers as told."""

    def __init__(self) -> None:
        self.requests: list[ReceivedRequest] = []
        self.answers: deque[Answer] = deque()
        self.default = Answer()
        self.released = threading.Event()
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.requests.append(ReceivedRequest(self.path, dict(self.headers.items()), body))
                receiver.arrived.set()
                answer = receiver.answers.popleft() if receiver.answers else receiver.default
                if answer.hang:
                    receiver.released.wait(answer.hang)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str = "/hook") -> str:
        return self.base_url + path

    def answer(self, *answers: Answer | int) -> None:
        for item in answers:
            self.answers.append(item if isinstance(item, Answer) else Answer(status=item))

    def wait_for(self, count: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.01)

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    server = Receiver()
    yield server
    server.close()


def webhooks_integration(company: Company, urls: dict[str, list[str]]) -> Integration:
    return Integration.objects.create(
        account=company.account, company=company, type=Integration.Type.WEBHOOKS, config=urls
    )


ALL_CONFIG_KEYS = (
    "pre_call_webhook",
    "answered_call_webhook",
    "post_call_webhook",
    "updated_call_webhook",
    "post_outbound_call_webhook",
    "updated_outbound_call_webhook",
    "sms_received_webhook",
    "sms_sent_webhook",
    "form_captured_webhook",
)


@pytest.fixture
def integration(company: Company, receiver: Receiver) -> Integration:
    """The company's Webhooks integration, every event posting to ``receiver`` at ``/<config key>``."""
    return webhooks_integration(company, {key: [receiver.url(f"/{key}")] for key in ALL_CONFIG_KEYS})


@pytest.fixture
def tracker(company: Company) -> Tracker:
    flow = CallFlow.objects.create(
        account=company.account,
        company=company,
        definition={"type": "basic", "destination_number": "+14045550100", "recording_enabled": True},
    )
    return Tracker.objects.create(
        account=company.account,
        company=company,
        name="Google Ads",
        type=Tracker.Type.SOURCE,
        call_flow=flow,
        source={"type": "search", "search_engine": "google", "search_type": "paid"},
    )


@pytest.fixture
def tracking_number(tracker: Tracker) -> TrackingNumber:
    return TrackingNumber.objects.create(account=tracker.account, tracker=tracker, number="+14045550142")


def make_call(tracker: Tracker, **overrides: Any) -> Call:
    values: dict[str, Any] = {
        "account": tracker.account,
        "company": tracker.company,
        "tracker": tracker,
        "direction": Call.Direction.INBOUND,
        "status": Call.Status.RINGING,
        "start_time": timezone.now() - timedelta(seconds=5),
        "tracking_phone_number": "+14045550142",
        "business_phone_number": "+14045550100",
        "customer_phone_number": "+12148654559",
        "customer_name": "Kaylah Mills",
        "customer_city": "Rochester",
        "customer_state": "PA",
        "customer_country": "US",
        "source": "google_paid",
        "source_name": "Google Ads",
        "medium": "cpc",
        "utm_source": "google",
        "utm_medium": "cpc",
        "utm_campaign": "Spring",
        "cookies": {"_ga": "GA1.2.3", "promo": "spring"},
    }
    values.update(overrides)
    return Call.objects.create(**values)


def complete_call(call: Call, **changes: Any) -> Call:
    values = {"status": Call.Status.COMPLETED, "answered": True, "duration": 125}
    values.update(changes)
    for name, value in values.items():
        setattr(call, name, value)
    call.save()
    return call


def make_conversation(tracker: Tracker, **overrides: Any) -> TextConversation:
    person = Person.objects.create(account=tracker.account, company=tracker.company, phone_number="+17705555555")
    values: dict[str, Any] = {
        "account": tracker.account,
        "company": tracker.company,
        "person": person,
        "initial_tracker": tracker,
        "current_tracker": tracker,
        "initial_tracking_number": "+17701234567",
        "current_tracking_number": "+17701234567",
        "customer_phone_number": "+17705555555",
        "public_id": "crpLH",
    }
    values.update(overrides)
    return TextConversation.objects.create(**values)


def make_text(conversation: TextConversation, **overrides: Any) -> TextMessage:
    values: dict[str, Any] = {
        "account": conversation.account,
        "conversation": conversation,
        "direction": TextMessage.Direction.INCOMING,
        "content": "CallRail is the best!",
    }
    values.update(overrides)
    return TextMessage.objects.create(**values)


def make_form_submission(company: Company, **overrides: Any) -> FormSubmission:
    if "session" not in overrides:
        overrides["session"] = VisitorSession.objects.create(
            account=company.account,
            company=company,
            visitor_id=uuid.uuid4().hex,
            session_key=uuid.uuid4().hex,
            source="google_organic",
        )
    values: dict[str, Any] = {
        "account": company.account,
        "company": company,
        "form_data": {"name": "John Q. Customer", "email": "support@example.com", "message": "this is the message"},
        "form_url": "http://www.example.com/form",
        "landing_page_url": "http://www.example.com/",
        "referrer": "direct",
        "referring_url": "www.google.com",
        "submitted_at": timezone.now(),
        "source": "Google Organic",
        "keywords": "clinic hospital",
        "campaign": "Website",
        "medium": "Organic",
        "utm_source": "search",
        "utm_medium": "organic",
        "utm_campaign": "Google Organic",
    }
    values.update(overrides)
    return FormSubmission.objects.create(**values)


def deliver_due(now: Any = None) -> int:
    """Run every due delivery the way the worker would (in id order), until none is left."""
    attempts = 0
    while True:
        due = list(
            WebhookEvent.objects.filter(
                state=WebhookEvent.State.PENDING, next_attempt_at__lte=now or timezone.now()
            ).order_by("id")
        )
        made = [webhook_event_deliver(event_pk=event.pk, now=now) for event in due]
        made = [delivery for delivery in made if delivery is not None]
        if not made:
            return attempts
        attempts += len(made)
