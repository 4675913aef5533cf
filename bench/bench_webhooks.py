"""Outgoing webhooks (``python -m bench webhooks`` under ``callrail.testenv``).

Two figures, each against a baseline measured in the same run:

- **call handling**: what recording a Pre-Call event adds to the transaction that
  records a call (payload rendered with the v3 serializer, outbox row written),
  against the same transaction for a company without webhooks;
- **delivery**: one delivery attempt by the worker (claim the row, sign, POST to a
  loopback receiver, log the attempt) against a bare ``requests.post`` of the same
  body to the same receiver.

Needs PostgreSQL (``DATABASE_URL``). ``BENCH_WEBHOOKS_ITERATIONS`` sets the samples
per measurement (default 200).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench.common import django_setup, measure


class _Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in separate writes: without this, Nagle's algorithm and the
    # client's delayed ACK add 40 ms to every answer on loopback.
    disable_nagle_algorithm = True

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


def main() -> None:
    os.environ["WEBHOOKS_ALLOW_PRIVATE"] = "true"  # the receiver is on loopback
    django_setup("webhooks")
    import requests
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Account, Company
    from integrations.models import Integration, WebhookEvent
    from integrations.webhooks.delivery import webhook_event_deliver
    from telephony import signals
    from telephony.models import Call
    from tracking.models import CallFlow, Tracker

    iterations = int(os.environ.get("BENCH_WEBHOOKS_ITERATIONS", "200"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"

    account = Account.objects.create(name="Bench webhooks")

    def company_with_tracker(name: str) -> tuple[Company, Tracker]:
        company = Company.objects.create(account=account, name=name)
        flow = CallFlow.objects.create(
            account=account, company=company, definition={"type": "basic", "destination_number": "+14045550100"}
        )
        tracker = Tracker.objects.create(
            account=account, company=company, name="Ads", type="source", call_flow=flow, source={"type": "all"}
        )
        return company, tracker

    plain = company_with_tracker("Without webhooks")
    hooked = company_with_tracker("With webhooks")
    Integration.objects.create(account=account, company=hooked[0], type="Webhooks", config={"pre_call_webhook": [url]})

    class Rollback(Exception):
        pass

    def record_call(company: Company, tracker: Tracker) -> Callable[[], None]:
        def run() -> None:
            # The voice webhook's transaction: insert the call, announce it. Rolled back so
            # every sample sees the same table sizes.
            try:
                with transaction.atomic():
                    call = Call.objects.create(
                        account=account,
                        company=company,
                        tracker=tracker,
                        start_time=timezone.now(),
                        tracking_phone_number="+14045550142",
                        customer_phone_number="+17705550123",
                    )
                    signals.call_started.send(sender=Call, call=call)
                    raise Rollback
            except Rollback:
                pass

        return run

    base_median, base_p99 = measure(record_call(*plain), iterations)
    hook_median, hook_p99 = measure(record_call(*hooked), iterations)
    print(f"call transaction without webhooks   median {base_median:7.2f} ms  p99 {base_p99:7.2f} ms  (baseline)")
    print(
        f"call transaction + pre-call event   median {hook_median:7.2f} ms  p99 {hook_p99:7.2f} ms"
        f"  ×{hook_median / base_median:.2f}  (+{hook_median - base_median:.2f} ms)"
    )

    # Delivery: real outbox rows, each posted once.
    with transaction.atomic():
        call = Call.objects.create(
            account=account,
            company=hooked[0],
            tracker=hooked[1],
            start_time=timezone.now(),
            tracking_phone_number="+14045550142",
            customer_phone_number="+17705550123",
        )
    for _ in range(iterations + 1):
        signals.call_started.send(sender=Call, call=call)
    # Different calls, so ordering never holds one back.
    pending = list(WebhookEvent.objects.filter(state="pending").order_by("id").values_list("pk", flat=True))
    for index, pk in enumerate(pending):
        WebhookEvent.objects.filter(pk=pk).update(ordering_key=f"bench-{index}")
    body = WebhookEvent.objects.get(pk=pending[0]).body.encode()
    later = timezone.now() + timedelta(seconds=1)
    queue = iter(pending)

    session = requests.Session()
    raw_median, raw_p99 = measure(lambda: session.post(url, data=body, timeout=10).close(), iterations)
    ours_median, ours_p99 = measure(lambda: webhook_event_deliver(event_pk=next(queue), now=later), iterations)
    delivered = WebhookEvent.objects.filter(state="delivered").count()
    print(f"bare requests.post to loopback      median {raw_median:7.2f} ms  p99 {raw_p99:7.2f} ms  (baseline)")
    print(
        f"one delivery attempt (claim, sign, post, log)  median {ours_median:7.2f} ms  p99 {ours_p99:7.2f} ms"
        f"  ×{ours_median / raw_median:.2f}  ({1000 / ours_median:.0f} events/s per worker process)"
    )
    assert delivered == iterations + 1, delivered
    server.shutdown()
    server.server_close()


if __name__ == "__main__":
    main()
