"""The demo's weeks of history, made on the first ``seed_demo`` through the simulator and the
services: varied sources and outcomes, attributed calls, scores and tags, texts both ways,
forms, visitors on the site now; and never twice."""

import json
from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Company
from telephony.demo import DAYS
from telephony.models import Call, TextMessage
from tracking.live import sites_now
from tracking.models import FormSubmission, PageView, VisitorSession

pytestmark = pytest.mark.slow


def seed() -> dict:
    out = StringIO()
    call_command("seed_demo", "--json", stdout=out)
    return json.loads(out.getvalue().strip().splitlines()[-1])


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    return seed()


def test_the_first_run_lives_three_weeks(demo):
    company = Company.objects.get(public_id=demo["company_id"])
    calls = list(Call.objects.filter(company=company))
    now = timezone.now()

    assert len(calls) > 60
    assert all(now - timedelta(days=DAYS + 1) < call.start_time < now for call in calls)
    assert len({call.start_time.date() for call in calls}) >= DAYS - 3
    assert all(call.status == "completed" or call.status == "no-answer" for call in calls)

    sources = Counter(call.source for call in calls)
    assert {"google_paid", "google_organic", "facebook", "direct", "google_ad_extension"} <= set(sources)
    assert any("." in source for source in sources)  # a referring site
    assert any(call.gclid for call in calls if call.source == "google_paid")
    # Every call to the website pool was tied to the visit that held its number then.
    pool_calls = [call for call in calls if call.tracker.type == "session"]
    assert all(call.session_id for call in pool_calls)

    kinds = Counter(call.call_type for call in calls)
    assert kinds["answered"] and kinds["missed"]
    assert kinds["voicemail"] + kinds["voicemail_transcription"]
    assert sum(1 for call in calls if call.recording_url) >= kinds["answered"]
    assert any(call.lead_status == "good_lead" for call in calls)
    assert Call.tags.through.objects.filter(call__company=company).exists()
    assert any(not call.first_call for call in calls)  # someone called again

    messages = Counter(TextMessage.objects.filter(conversation__company=company).values_list("direction", flat=True))
    assert messages["incoming"] and messages["outgoing"]
    forms = FormSubmission.objects.filter(company=company)
    assert forms.count() > 5 and forms.exclude(source="").exists()
    assert VisitorSession.objects.filter(company=company).count() > len(pool_calls)
    assert PageView.objects.filter(session__company=company).exists()

    # Two visitors are on the site as the dashboard opens.
    assert sites_now(account=company.account, company_ids=[company.pk]).visitor_count == 2


def test_it_lives_only_once(demo):
    calls = Call.objects.count()
    assert seed() == demo
    assert Call.objects.count() == calls
    assert demo["history_seeded"] is True
