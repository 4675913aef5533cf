"""Factories for the API tests: calls, leads, form submissions and text messages.

Trackers, numbers and sessions come from tracking's own factories.
"""

import random

import factory
from django.utils import timezone

from accounts.tests.factories import CompanyFactory
from telephony.models import Call, TextConversation, TextMessage
from tracking.models import FormSubmission, PageView, Person
from tracking.tests.factories import (  # noqa: F401  (re-exported for the API tests)
    CallFlowFactory,
    TrackerFactory,
    TrackingNumberFactory,
    VisitorSessionFactory,
    fictional_number,
)


def customer_number() -> str:
    return f"+1404{random.randint(2000000, 9999999)}"


class PersonFactory(factory.django.DjangoModelFactory[Person]):
    class Meta:
        model = Person

    company = factory.SubFactory(CompanyFactory)
    account = factory.SelfAttribute("company.account")
    phone_number = factory.LazyFunction(customer_number)
    name = factory.Faker("name")


class CallFactory(factory.django.DjangoModelFactory[Call]):
    class Meta:
        model = Call

    company = factory.SubFactory(CompanyFactory)
    account = factory.SelfAttribute("company.account")
    direction = Call.Direction.INBOUND
    status = Call.Status.COMPLETED
    start_time = factory.LazyFunction(timezone.now)
    duration = 60
    answered = True
    tracking_phone_number = factory.LazyFunction(fictional_number)
    customer_phone_number = factory.LazyFunction(customer_number)
    customer_name = factory.Faker("name")
    customer_city = "Atlanta"
    customer_state = "GA"
    customer_country = "US"


class PageViewFactory(factory.django.DjangoModelFactory[PageView]):
    class Meta:
        model = PageView

    session = factory.SubFactory(VisitorSessionFactory)
    account = factory.SelfAttribute("session.account")
    page_url = factory.Sequence(lambda n: f"https://example.com/page-{n}")


class FormSubmissionFactory(factory.django.DjangoModelFactory[FormSubmission]):
    class Meta:
        model = FormSubmission

    company = factory.SubFactory(CompanyFactory)
    account = factory.SelfAttribute("company.account")
    form_data = factory.LazyFunction(lambda: {"name": "Graham Armstrong", "email": "graham@example.com"})
    form_url = "https://example.com/contact"
    landing_page_url = "https://example.com/?utm_source=google"
    referrer = "google_paid"
    referring_url = "https://www.google.com/"
    submitted_at = factory.LazyFunction(timezone.now)
    source = "google_paid"


class TextConversationFactory(factory.django.DjangoModelFactory[TextConversation]):
    class Meta:
        model = TextConversation

    company = factory.SubFactory(CompanyFactory)
    account = factory.SelfAttribute("company.account")
    public_id = factory.Sequence(lambda n: f"C{n:04d}")
    initial_tracking_number = factory.LazyFunction(fictional_number)
    current_tracking_number = factory.SelfAttribute("initial_tracking_number")
    customer_phone_number = factory.LazyFunction(customer_number)
    customer_name = "MANN KEVIN"
    last_message_at = factory.LazyFunction(timezone.now)


class TextMessageFactory(factory.django.DjangoModelFactory[TextMessage]):
    class Meta:
        model = TextMessage

    conversation = factory.SubFactory(TextConversationFactory)
    account = factory.SelfAttribute("conversation.account")
    direction = TextMessage.Direction.INCOMING
    content = factory.Faker("sentence")
