from typing import Any

import factory

from accounts.models import Company
from accounts.tests.factories import CompanyFactory
from tracking.config_cache import CompanyConfig, company_config
from tracking.models import CallFlow, Tracker, TrackingNumber, VisitorSession


class CallFlowFactory(factory.django.DjangoModelFactory[CallFlow]):
    class Meta:
        model = CallFlow

    company = factory.SubFactory(CompanyFactory)
    account = factory.SelfAttribute("company.account")
    definition = factory.LazyFunction(
        lambda: {
            "type": "basic",
            "destination_number": "+14045551234",
            "recording_enabled": True,
            "greeting_text": None,
            "greeting_recording_url": None,
        }
    )


class TrackerFactory(factory.django.DjangoModelFactory[Tracker]):
    class Meta:
        model = Tracker

    company = factory.SubFactory(CompanyFactory)
    account = factory.SelfAttribute("company.account")
    name = factory.Sequence(lambda n: f"Tracker {n}")
    type = Tracker.Type.SESSION
    call_flow = factory.SubFactory(CallFlowFactory, company=factory.SelfAttribute("..company"))
    source = factory.LazyFunction(lambda: {"type": "all"})
    swap_targets = factory.LazyFunction(lambda: ["+14045551234"])
    pool_size = 4


_line = iter(range(10**6))


def fictional_number() -> str:
    """A unique fictional number (NXX-555-01xx spread over area codes)."""
    n = next(_line)
    return f"+1{200 + n // 100 % 700}5550{100 + n % 100}"


class TrackingNumberFactory(factory.django.DjangoModelFactory[TrackingNumber]):
    class Meta:
        model = TrackingNumber

    tracker = factory.SubFactory(TrackerFactory)
    account = factory.SelfAttribute("tracker.account")
    number = factory.LazyFunction(fictional_number)


class VisitorSessionFactory(factory.django.DjangoModelFactory[VisitorSession]):
    class Meta:
        model = VisitorSession

    company = factory.SubFactory(CompanyFactory)
    account = factory.SelfAttribute("company.account")
    visitor_id = factory.Faker("uuid4")
    session_key = factory.Faker("uuid4")
    landing_url = "https://example.com/"


def session_tracker(*, company: Company, size: int = 4, **kwargs: Any) -> Tracker:
    """A session tracker with ``size`` active pool numbers."""
    tracker = TrackerFactory(company=company, pool_size=size, **kwargs)
    for _ in range(size):
        TrackingNumberFactory(tracker=tracker)
    return tracker


def dni_config(company: Company) -> CompanyConfig:
    """The company's DNI configuration as the endpoint reads it (cached per process)."""
    config = company_config(company.public_id)
    assert config is not None, "no such company"
    return config
