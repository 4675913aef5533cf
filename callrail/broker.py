"""The Celery broker transport: kombu's Redis transport with one crash fixed, and publishing
that fails fast while Redis is known to be down.

When the connection to Redis is lost while the worker holds unacknowledged messages
(tasks waiting for their ETA or countdown, such as webhook retries), Celery closes the
connection twice: ``Connection.collect()`` detaches the transport, then
``Connection.close()`` closes the default channel, whose cleanup tries to put those
messages back through a new Redis client built from the detached transport. kombu
5.7 then raises ``AttributeError: 'NoneType' object has no attribute 'hostname'``,
which is not one of the connection errors the cleanup ignores, and the worker exits
("Unrecoverable error"). Here that case is a connection error like any other: the
messages stay in Redis's unacknowledged set, and kombu hands them out again after the
visibility timeout (if Redis kept them; the webhook outbox and the deferred tasks
cover a Redis that lost them).
"""

from __future__ import annotations

from typing import Any

import redis
from kombu.transport import TRANSPORT_ALIASES, virtual
from kombu.transport import redis as kombu_redis


class QoS(kombu_redis.QoS):
    """Acknowledging a message that Redis cannot take (it hangs or is gone) still frees its
    prefetch slot. kombu forgets a message locally only after Redis confirmed the ack, so a
    failed ack kept the slot taken for good: with a prefetch of one (``acks_late``) the
    worker then stopped consuming, forever, after a single Redis stall. The message stays
    in Redis's unacknowledged set and is handed out again after the visibility timeout;
    tasks are idempotent."""

    def ack(self, delivery_tag: Any) -> None:
        try:
            self._remove_from_indices(delivery_tag).execute()  # type: ignore[attr-defined]  # kombu has no stubs for it
        finally:
            virtual.QoS.ack(self, delivery_tag)


class Channel(kombu_redis.Channel):
    QoS = QoS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # A new channel pings Redis: while Redis is known to be down that ping (a publish's
        # retry on a fresh connection) would wait out the socket timeout a second time.
        from django.conf import settings

        from callrail.redis import breaker

        key = settings.CELERY_BROKER_URL
        breaker.check(key)
        try:
            super().__init__(*args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            breaker.trip(key, exc)
            raise

    def _connparams(self, asynchronous: bool = False) -> dict[str, Any]:
        if self.connection.client is None:
            raise redis.ConnectionError("the broker connection was closed")
        return super()._connparams(asynchronous=asynchronous)  # type: ignore[misc]  # kombu has no stubs for it

    def basic_publish(self, message: Any, exchange: str = "", routing_key: str = "", **kwargs: Any) -> Any:
        # Publishing runs on request paths: after one timeout, every publish of this process
        # fails at once for REDIS_RETRY_AFTER seconds instead of waiting again (see
        # callrail.redis). Callers keep the work in the database meanwhile.
        from django.conf import settings

        from callrail.redis import breaker

        key = settings.CELERY_BROKER_URL
        breaker.check(key)
        try:
            return super().basic_publish(message, exchange=exchange, routing_key=routing_key, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            breaker.trip(key, exc)
            raise


class Transport(kombu_redis.Transport):
    Channel = Channel


def install() -> None:
    """Serve ``redis://``, ``rediss://`` and ``redis+socket://`` broker URLs with this transport.

    The transport is picked from the URL's scheme, and kombu refuses a class path there,
    so the scheme's entry in kombu's registry points here instead.
    """
    TRANSPORT_ALIASES["redis"] = TRANSPORT_ALIASES["rediss"] = "callrail.broker:Transport"
