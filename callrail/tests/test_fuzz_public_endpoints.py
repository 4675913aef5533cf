"""Property-based: the public endpoints (Twilio's webhooks, correctly signed, and the DNI
endpoints swap.js calls) never answer 5xx, whatever the parameters and bodies.

Derandomized and bounded, so the run is the same every time and fits ``make test``; the
number of requests made and of answers >= 500 is reported at the end of the module."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Company
from integrations.tests.conftest import make_call, tracker, tracking_number  # noqa: F401 - fixtures
from telephony.models import Call, OutboundCallerId
from telephony.tests.conftest import voice_params
from telephony.twilio import signature_compute

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

PUBLIC_BASE_URL = "https://calls.example.test"
TWILIO_PATHS = [
    "/telephony/twilio/voice",
    "/telephony/twilio/status",
    "/telephony/twilio/sms",
    "/telephony/twilio/flow",
    "/telephony/twilio/dial-status",
    "/telephony/twilio/recording",
    "/telephony/twilio/outbound",
    "/telephony/twilio/sms-status",
    "/telephony/twilio/transcription",
    "/telephony/twilio/whisper",
    "/telephony/caller-ids/{caller_id}/verify",
    "/telephony/caller-ids/{caller_id}/digits",
    "/telephony/caller-ids/{caller_id}/status",
]
TWILIO_KEYS = [
    "AccountSid", "CallSid", "CallStatus", "CallDuration", "Called", "Caller", "Direction", "From", "To", "Digits",
    "DialCallStatus", "DialCallSid", "DialCallDuration", "RecordingUrl", "RecordingSid", "RecordingDuration",
    "RecordingStatus", "TranscriptionText", "TranscriptionStatus", "MessageSid", "SmsSid", "Body", "NumMedia",
    "MediaUrl0", "MediaContentType0", "MessageStatus", "ErrorCode", "AnsweredBy", "SequenceNumber", "Timestamp",
    "VerificationStatus", "OutgoingCallerIdSid", "FromCity", "FromState", "FromCountry", "FromZip",
]  # fmt: skip
QUERY_KEYS = ["call", "event", "step", "attempt", "kind", "leg", "access_key", "expires"]

# Text as a form or JSON body can carry it: any code point but lone surrogates (not encodable).
text = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
numberish = st.one_of(st.sampled_from(["+14045550142", "+14045550100", "4045550142", "+1", ""]), text)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
    max_leaves=12,
)

TALLY: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def report(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    line = (
        f"public endpoints fuzzed: {TALLY['requests']} requests "
        f"(Twilio {TALLY['twilio']}, DNI {TALLY['dni']}), {TALLY['5xx']} answers >= 500"
    )
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():  # shown without -s too
        print("\n" + line)


def _count(kind: str, status: int) -> None:
    TALLY["requests"] += 1
    TALLY[kind] += 1
    if status >= 500:
        TALLY["5xx"] += 1


@pytest.fixture
def seeded(company: Company, tracker: Any, tracking_number: Any, settings: Any) -> dict[str, Any]:  # noqa: F811
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL
    settings.TWILIO_AUTH_TOKEN = ""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    company.form_capture = True
    company.save(update_fields=["form_capture"])
    call = make_call(tracker, call_sid="CA" + "1" * 32)
    caller_id = OutboundCallerId.objects.create(
        account=company.account, company=company, phone_number="+14045550101", name="Cell"
    )
    return {"company": company, "call": call, "caller_id": caller_id}


SETTINGS = settings(
    max_examples=150, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)


def test_signed_twilio_webhooks_never_answer_5xx(seeded):
    call: Call = seeded["call"]
    client = Client(raise_request_exception=False)

    @SETTINGS
    @given(
        path=st.sampled_from(TWILIO_PATHS),
        params=st.dictionaries(st.sampled_from(TWILIO_KEYS) | text, numberish, max_size=12),
        query=st.dictionaries(
            st.sampled_from(QUERY_KEYS), st.sampled_from([call.public_id, "dial", "1"]) | text, max_size=4
        ),
        known_call=st.booleans(),
        full_voice=st.booleans(),
    )
    def run(path: str, params: dict[str, str], query: dict[str, str], known_call: bool, full_voice: bool) -> None:
        path = path.format(caller_id=seeded["caller_id"].numeric_id)
        if full_voice:
            params = {**voice_params(to="+14045550142"), **params}
        if known_call:
            params["CallSid"] = call.call_sid or ""
        full = path + ("?" + urlencode(query) if query else "")
        signature = signature_compute(PUBLIC_BASE_URL + full, params)
        response = client.post(
            full,
            data=urlencode(params),
            content_type="application/x-www-form-urlencoded",
            HTTP_X_TWILIO_SIGNATURE=signature,
        )
        _count("twilio", response.status_code)
        assert response.status_code < 500, (path, params, query, response.content[:500])
        assert response.status_code != 403, "the signature was valid"

    run()


def test_dni_endpoints_never_answer_5xx(seeded):
    company: Company = seeded["company"]
    client = Client(raise_request_exception=False)
    ids = st.sampled_from(["visitor0001", "session0001", "abcdefgh"]) | text
    bodies = st.one_of(
        json_values.map(json.dumps),
        st.fixed_dictionaries(
            {"v": ids, "s": ids},
            optional={
                "u": st.sampled_from(["https://example.com/a?gclid=1", "http://x"]) | text,
                "r": text,
                "l": text,
                "lr": text,
                "ck": json_values,
                "f": st.dictionaries(text, json_values, max_size=5),
                "n": json_values,
                "rv": json_values,
                "d": json_values,
            },
        ).map(json.dumps),
        st.binary(max_size=200).map(lambda raw: raw.decode("latin-1")),
    )

    @SETTINGS
    @given(
        endpoint=st.sampled_from(["session", "heartbeat", "form"]),
        company_id=st.sampled_from([company.public_id, "COM" + "0" * 32]) | text,
        body=bodies,
        content_type=st.sampled_from(["text/plain", "application/json", "application/x-www-form-urlencoded"]),
        user_agent=st.sampled_from(["Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0", "", "curl/8"]),
        origin=st.sampled_from(["", "https://example.com", "null"]),
    )
    def run(endpoint: str, company_id: str, body: str, content_type: str, user_agent: str, origin: str) -> None:
        headers = {"User-Agent": user_agent, **({"Origin": origin} if origin else {})}
        path = f"/dni/{company_id}/{endpoint}"
        response = client.post(path, data=body.encode(), content_type=content_type, headers=headers)
        _count("dni", response.status_code)
        assert response.status_code < 500, (path, body[:300], response.content[:500])

    run()
