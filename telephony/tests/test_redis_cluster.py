"""The DNI endpoint and the voice webhook on a Redis Cluster of three masters: a visitor takes
a pool number, and a signed call to it is attributed from the live hold the cluster keeps."""

import pytest
from redis.crc import key_slot

from api.v3.throttling import rate_limit_consume
from callrail.redis import get_redis
from callrail.tests.redis_cluster import node_clients, on_cluster, redis_cluster  # noqa: F401 - fixtures
from telephony.models import Call
from telephony.tests.conftest import voice_params
from telephony.tests.test_voice_webhook import VOICE, dial_twiml
from tracking import pools
from tracking.models import NumberAssignment, VisitorSession
from tracking.tasks import page_views_flush_all
from tracking.tests.factories import session_tracker
from tracking.tests.test_dni_endpoint import TARGET, post, visit

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def test_a_visit_and_its_call_run_on_the_cluster(on_cluster, client, twilio_post, company):  # noqa: F811
    tracker = session_tracker(company=company, size=4)
    assert type(get_redis()).__name__ == "GuardedRedisCluster"

    body = visit(r="https://www.google.com/", lr="https://www.google.com/")
    response = post(client, company, body)
    assert response.status_code == 200, response.content
    number = "+" + response.json()["numbers"][TARGET]
    assert number in set(tracker.numbers.values_list("number", flat=True))
    # A returning page view renews the same hold (the touch script, same slot).
    again = post(client, company, {**body, "u": "https://www.alice-plumbing.example/contact"})
    assert "+" + again.json()["numbers"][TARGET] == number

    # Every key of the pool sits on the one master that owns the pool's slot.
    keys = pools.PoolKeys.of(tracker.public_id)
    slot = key_slot(keys.free.encode())
    assert {key_slot(key.encode()) for key in [*keys.pool, keys.session(body["s"]), keys.page_views]} == {slot}
    counts = [node.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) for node in node_clients(on_cluster)]
    assert sorted(counts)[:2] == [0, 0]
    assert max(counts) >= 6  # free, held, holder, owned, meta, the session's hash (and page views)

    # The dashboard's live view reads several pools in one pipeline, split per master.
    holds = pools.pools_live_holds(get_redis(), [tracker.public_id, "TRKnone"])
    assert [hold.number for hold in holds[tracker.public_id]] == [number]
    assert holds["TRKnone"] == []
    # The nightly sweep finds buffered page views on whichever master holds them.
    assert page_views_flush_all() == 2

    # The call is attributed from the cluster's live hold: the durable log is gone.
    session = VisitorSession.objects.get(session_key=body["s"])
    NumberAssignment.objects.filter(session=session).delete()
    response = twilio_post(VOICE, voice_params(to=number))
    call = Call.objects.get()
    assert call.session == session
    assert call.source == "google_organic"
    assert response.status_code == 200
    assert "<Dial" in response.content.decode()
    assert dial_twiml(call, record=True) in response.content.decode()


def test_the_api_rate_limit_counts_both_windows_in_one_slot(on_cluster, account, settings):  # noqa: F811
    settings.API_RATE_LIMITS = {"general": (2, 10)}
    assert [rate_limit_consume(account_id=account.id, now=1_000_000).allowed for _ in range(3)] == [True, True, False]
