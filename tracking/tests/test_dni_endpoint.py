import json
import time
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Company
from callrail.redis import get_redis
from tracking import page_views, pools
from tracking.attribution import session_for_number
from tracking.models import NumberAssignment, PageView, Tracker, VisitorSession
from tracking.page_views import page_views_flush
from tracking.signals import pool_exhausted
from tracking.tasks import page_views_flush_all, page_views_flush_task
from tracking.tests.factories import TrackerFactory, TrackingNumberFactory, session_tracker

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
TARGET = "4045551234"


def ident() -> str:
    return uuid.uuid4().hex


def post(client: Client, company: Company | str, body: Any, path: str = "session", **headers: str) -> Any:
    company_id = company if isinstance(company, str) else company.public_id
    return client.post(
        f"/dni/{company_id}/{path}",
        data=json.dumps(body) if not isinstance(body, (bytes, str)) else body,
        content_type="text/plain;charset=UTF-8",
        HTTP_USER_AGENT=headers.get("ua", UA),
        HTTP_ORIGIN="https://www.alice-plumbing.example",
    )


def visit(session=None, visitor=None, url="https://www.alice-plumbing.example/", **extra):
    return {"v": visitor or ident(), "s": session or ident(), "u": url, "l": url, **extra}


@pytest.fixture
def tracker(company):
    return session_tracker(company=company, size=4)


def test_it_gives_a_new_session_a_pool_number_and_logs_it(client, company, tracker):
    body = visit(r="https://www.google.com/", lr="https://www.google.com/")
    response = post(client, company, body)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response["Access-Control-Allow-Origin"] == "*"
    numbers = response.json()["numbers"]
    assert set(numbers) == {TARGET}
    assert "+" + numbers[TARGET] in set(tracker.numbers.values_list("number", flat=True))
    session = VisitorSession.objects.get(session_key=body["s"])
    assert (session.source, session.medium, session.tracker, session.company) == (
        "google_organic",
        "organic",
        tracker,
        company,
    )
    assignment = NumberAssignment.objects.get(session=session)
    assert assignment.tracking_number.number == "+" + numbers[TARGET]
    assert assignment.ended_at is None
    # The page view waits in Redis for a worker.
    assert page_views_flush(scope=tracker.public_id) == 1
    assert PageView.objects.filter(session=session).count() == 1
    company.refresh_from_db()
    assert company.dni_active is True


def test_a_returning_session_keeps_its_number_without_a_database_write(
    client, company, tracker, django_assert_max_num_queries, redis_client
):
    body = visit()
    first = post(client, company, body).json()["numbers"]
    with django_assert_max_num_queries(0):
        again = post(client, company, {**body, "u": "https://www.alice-plumbing.example/services"})
    assert again.json()["numbers"] == first
    page_views_flush(scope=tracker.public_id)
    session = VisitorSession.objects.get(session_key=body["s"])
    assert [v.page_url for v in session.page_views.order_by("created_at")] == [
        "https://www.alice-plumbing.example/",
        "https://www.alice-plumbing.example/services",
    ]
    assert session.last_url == "https://www.alice-plumbing.example/services"
    assert NumberAssignment.objects.filter(session=session).count() == 1


def test_two_visitors_get_different_numbers_and_the_fifth_the_fallback(client, company, tracker):
    tracker.fallback_number = "+14045550999"
    tracker.save()
    got = [post(client, company, visit()).json()["numbers"].get(TARGET) for _ in range(5)]
    assert len(set(got[:4])) == 4
    assert got[4] == "14045550999"
    tracker.refresh_from_db()
    assert tracker.exhaustion_count == 1
    assert tracker.last_exhausted_at is not None


def test_an_exhausted_pool_without_fallback_keeps_the_page_number(client, company, tracker):
    for _ in range(4):
        post(client, company, visit())
    body = visit()
    assert post(client, company, body).json()["numbers"] == {}
    # The same visitor again is not counted twice.
    post(client, company, body)
    tracker.refresh_from_db()
    assert tracker.exhaustion_count == 1


def test_the_pool_exhausted_event_fires_once_per_episode(client, company, tracker):
    seen = []

    def receiver(sender, tracker, **kwargs):
        seen.append(tracker.public_id)

    pool_exhausted.connect(receiver)
    try:
        for _ in range(6):
            post(client, company, visit())
    finally:
        pool_exhausted.disconnect(receiver)
    assert seen == [tracker.public_id]


def test_a_source_tracker_shows_its_one_number(client, company):
    source = TrackerFactory(company=company, type=Tracker.Type.SOURCE, source={"type": "direct"}, pool_size=None)
    number = TrackingNumberFactory(tracker=source)
    body = visit()
    numbers = post(client, company, body).json()["numbers"]
    assert numbers == {TARGET: number.number.lstrip("+")}
    assert VisitorSession.objects.get(session_key=body["s"]).tracker == source
    assert not NumberAssignment.objects.exists()


def test_specific_trackers_win_over_the_pool(client, company, tracker):
    paid = TrackerFactory(
        company=company,
        type=Tracker.Type.SOURCE,
        source={"type": "search", "search_engine": "google", "search_type": "paid"},
    )
    paid_number = TrackingNumberFactory(tracker=paid)
    ad = visit(url="https://www.alice-plumbing.example/?gclid=abc")
    assert post(client, company, ad).json()["numbers"] == {TARGET: paid_number.number.lstrip("+")}
    direct = post(client, company, visit()).json()["numbers"]
    assert "+" + direct[TARGET] in set(tracker.numbers.values_list("number", flat=True))


def test_debug_says_which_tracker_matched_and_why(client, company, tracker):
    lines = post(client, company, visit(d=1)).json()["debug"]
    assert lines[0].startswith("source direct / direct")
    assert f'{TARGET}: session tracker "{tracker.name}" ({tracker.public_id}) matched as a pool' in lines[1]
    assert "a new number from the pool: +1" in lines[1]
    assert "debug" not in post(client, company, visit()).json()


def test_heartbeat_renews_without_a_page_view(client, company, tracker):
    body = visit()
    first = post(client, company, body).json()["numbers"]
    assert post(client, company, body, path="heartbeat").json()["numbers"] == first
    page_views_flush(scope=tracker.public_id)
    assert PageView.objects.filter(session__session_key=body["s"]).count() == 1


def test_bots_get_no_number(client, company, tracker):
    ua = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    response = post(client, company, visit(), ua=ua)
    assert response.status_code == 200
    assert response.json() == {"numbers": {}, "bot": True}
    assert not VisitorSession.objects.exists()
    assert pools.pool_status(tracker).live_sessions == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "JSON object"),
        (b"[1, 2]", "JSON object"),
        ({"v": "short", "s": ident(), "u": "https://x.example/"}, "v must be"),
        ({"v": ident(), "s": "bad key!", "u": "https://x.example/"}, "s must be"),
        ({"v": ident(), "s": ident()}, "u is required"),
        ({"v": ident(), "s": ident(), "u": "javascript:alert(1)"}, "http(s) URL"),
        ({"v": ident(), "s": ident(), "u": "https://x.example/", "ck": "x"}, "ck must be"),
        ({"v": ident(), "s": ident(), "u": 5}, "u must be a string"),
    ],
)
def test_malformed_input_is_a_400(client, company, tracker, body, message):
    response = post(client, company, body)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not VisitorSession.objects.exists()


def test_a_huge_body_is_refused(client, company, tracker):
    response = post(client, company, visit(u="https://x.example/?" + "a" * 40000))
    assert response.status_code == 400


def test_unknown_or_disabled_companies_are_404(client, company, other_company, tracker):
    assert post(client, "COM" + "0" * 32, visit()).status_code == 404
    assert post(client, "nonsense", visit()).status_code == 404
    company.status = Company.Status.DISABLED
    company.save()
    response = post(client, company, visit())
    assert response.status_code == 404
    assert response.json() == {"error": "Unknown company."}


def test_another_companys_trackers_never_answer(client, company, other_company, tracker):
    response = post(client, other_company, visit())
    assert response.status_code == 200
    assert response.json()["numbers"] == {}


def test_only_the_companys_sites_may_ask_when_origins_are_set(client, company, tracker):
    company.allowed_origins = ["https://shop.example"]
    company.save()
    assert post(client, company, visit()).status_code == 403


def test_get_is_not_allowed(client, company):
    assert client.get(f"/dni/{company.public_id}/session").status_code == 405


def test_redis_down_is_a_503_not_a_500(client, company, tracker, monkeypatch):
    import redis

    broken = redis.Redis(unix_socket_path="/nonexistent/redis.sock", socket_connect_timeout=0.1)
    monkeypatch.setattr("tracking.visits.pools_client", lambda: broken)
    response = post(client, company, visit())
    assert response.status_code == 503
    assert "error" in response.json()


def test_preflight_is_answered(client, company):
    response = client.options(
        f"/dni/{company.public_id}/session",
        HTTP_ORIGIN="https://www.alice-plumbing.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"


def test_a_returning_visitor_keeps_the_source_of_their_first_visit(client, company, tracker):
    paid = TrackerFactory(
        company=company,
        type=Tracker.Type.SOURCE,
        source={"type": "web_referrer", "referrer": "facebook.com"},
    )
    paid_number = TrackingNumberFactory(tracker=paid)
    visitor = ident()
    first = visit(visitor=visitor, lr="https://m.facebook.com/")
    assert post(client, company, first).json()["numbers"] == {TARGET: paid_number.number.lstrip("+")}
    # Days later, directly: still the Facebook number, and the first touch is handed back.
    again = post(client, company, visit(visitor=visitor, rv=1)).json()
    assert again["numbers"] == {TARGET: paid_number.number.lstrip("+")}
    assert again["ft"]["r"] == "https://m.facebook.com/"


def test_an_ad_click_overrides_the_earlier_source(client, company, tracker):
    visitor = ident()
    post(client, company, visit(visitor=visitor, lr="https://m.facebook.com/"))
    body = visit(visitor=visitor, rv=1, url="https://www.alice-plumbing.example/?gclid=x")
    post(client, company, body)
    assert VisitorSession.objects.get(session_key=body["s"]).source == "google_paid"


def test_a_worker_is_asked_to_write_buffered_page_views(client, company, tracker, monkeypatch):
    asked: list[str] = []
    monkeypatch.setattr("tracking.dni.page_views_flush_task.delay", asked.append)
    body = visit()
    post(client, company, body)
    post(client, company, {**body, "u": "https://www.alice-plumbing.example/two"})
    post(client, company, {**body, "u": "https://www.alice-plumbing.example/three"})
    assert asked == [tracker.public_id]  # once per pool every few seconds, not per page view
    assert page_views_flush_task(tracker.public_id) == 3
    urls = set(PageView.objects.filter(session__session_key=body["s"]).values_list("page_url", flat=True))
    assert urls == {
        "https://www.alice-plumbing.example/",
        "https://www.alice-plumbing.example/two",
        "https://www.alice-plumbing.example/three",
    }


def test_the_periodic_task_writes_every_buffered_page_view(client, company, tracker, redis_client):
    body = visit()
    post(client, company, body)
    redis_client.set(pools.PoolKeys.of(tracker.public_id).page_view_flag, "1", ex=60)
    post(client, company, {**body, "u": "https://www.alice-plumbing.example/later"})
    assert PageView.objects.filter(session__session_key=body["s"]).count() == 0
    assert page_views_flush_all() == 2
    assert PageView.objects.filter(session__session_key=body["s"]).count() == 2


@pytest.mark.parametrize("orm", [False, True])
def test_page_views_are_written_on_either_database_path(client, company, tracker, monkeypatch, orm):
    if orm:
        monkeypatch.setattr(page_views, "connection", SimpleNamespace(vendor="sqlite"))
    body = visit()
    post(client, company, body)
    for page in ("a", "b"):
        post(client, company, {**body, "u": f"https://www.alice-plumbing.example/{page}"})
    # A page view of an unknown session: dropped when old, kept a while when recent
    # (its session's row may not be committed yet).
    buffer = pools.PoolKeys.of(tracker.public_id).page_views
    for at in (1.0, time.time()):
        entry = pools.page_view_entry(
            company_id=company.id, session_key="nobody-yet", url="https://x/", referrer="", at=at
        )
        get_redis().rpush(buffer, entry)
    assert page_views_flush(scope=tracker.public_id) == 3
    assert [json.loads(e)[1] for e in get_redis().lrange(buffer, 0, -1)] == ["nobody-yet"]
    session = VisitorSession.objects.get(session_key=body["s"])
    assert session.last_url == "https://www.alice-plumbing.example/b"
    assert session.page_views.count() == 3


def test_after_a_redis_flush_visitors_keep_their_numbers_and_calls_their_visits(client, company, tracker, redis_client):
    bodies = [visit() for _ in range(3)]
    shown = [post(client, company, body).json()["numbers"][TARGET] for body in bodies]
    redis_client.flushall()
    for body, number in zip(bodies, shown, strict=True):
        tracking_number = tracker.numbers.get(number="+" + number)
        assert session_for_number(tracking_number=tracking_number, at=timezone.now()).session_key == body["s"]
    # The pool comes back from the log: same numbers for the same visits, a free one for a newcomer.
    assert [post(client, company, body).json()["numbers"][TARGET] for body in bodies] == shown
    newcomer = post(client, company, visit()).json()["numbers"][TARGET]
    assert newcomer not in shown
    assert NumberAssignment.objects.filter(ended_at__isnull=True).count() == 4
