import json
from io import StringIO

import pytest
from django.core.management import call_command

from tracking.models import CallFlow, Tracker, TrackingNumber


def seed(*options: str) -> dict:
    out = StringIO()
    call_command("seed_demo", "--json", *options, stdout=out)
    return json.loads(out.getvalue().strip().splitlines()[-1])


@pytest.fixture
def demo(db, settings, tmp_path):
    """The demo account and its trackers (its weeks of history are tested in test_demo_history)."""
    settings.VAR_DIR = tmp_path
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    return seed("--without-history")


def test_the_demo_company_gets_a_pool_and_a_source_tracker(demo):
    pool = Tracker.objects.get(company__public_id=demo["company_id"], type="session")
    assert pool.pool_size == 4
    assert pool.source == {"type": "all"}
    numbers = list(pool.numbers.values_list("number", flat=True))
    assert len(numbers) == 4
    assert all(n[5:10] == "55501" for n in numbers)  # fictional NXX-555-01xx
    assert pool.call_flow.definition == {
        "type": "basic",
        "destination_number": "+14045550100",
        "recording_enabled": True,
        "greeting_text": "Thanks for calling Demo Plumbing. Connecting you now.",
        "greeting_recording_url": None,
    }
    ads = Tracker.objects.get(company__public_id=demo["company_id"], type="source")
    assert ads.numbers.count() == 1
    site, simulate_hint, command = demo["extra_lines"]
    assert site == (
        "Demo site         : http://127.0.0.1:8000/demo/  (each visitor session gets its own number; add ?calltrk_debug=1)"
    )
    assert simulate_hint.startswith("Simulate a call   : open the demo site first")
    assert "DEBUG=" not in command  # beside make run, a command needs no DEBUG=true
    assert command.endswith(f".venv/bin/python manage.py simulate_call --to {min(numbers)} --from +14045550999")


def test_it_is_idempotent(demo):
    again = seed("--without-history")
    assert again == demo
    assert Tracker.objects.count() == 2
    # The pool's flow, and the ads number's (ring the office, then a voicemail).
    assert CallFlow.objects.count() == 2
    assert TrackingNumber.objects.count() == 5


def test_the_demo_page_embeds_the_snippet(client, demo):
    response = client.get("/demo/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'src="/companies/{demo["company_id"]}/swap.js"' in html
    assert "(404) 555-0100" in html and "404.555.0100" in html and 'href="tel:+14045550100"' in html
    assert client.get(f"/companies/{demo['company_id']}/swap.js").status_code == 200


def test_no_demo_page_without_the_demo(client, db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    assert client.get("/demo/").status_code == 404
