"""Periodic DNI housekeeping (thin wrappers around services)."""

from celery import shared_task

from callrail.redis import get_redis
from tracking.page_views import page_views_flush
from tracking.retention import visitor_data_prune


@shared_task(ignore_result=True)
def page_views_flush_task(scope: str) -> int:
    """Write one pool's buffered page views (asked for by the DNI endpoint)."""
    return page_views_flush(scope=scope)


@shared_task
def page_views_flush_all() -> int:
    """Write the page views still buffered in Redis for every pool.

    Busy pools are flushed right after answering visitors; this catches the
    last page views of pools that went quiet.
    """
    client = get_redis()
    written = 0
    for key in client.scan_iter(match="dni:{*}:pv", count=1000):
        name = key.decode() if isinstance(key, bytes) else key
        scope = name[name.index("{") + 1 : name.index("}")]
        written += page_views_flush(scope=scope, client=client)
    return written


# A first run over a large backlog takes a while; each batch commits on its own, so a
# run cut short by the limit leaves nothing half done and the next night carries on.
@shared_task(soft_time_limit=3600, time_limit=3700)
def visitor_data_prune_task() -> dict[str, int]:
    """Delete visitor sessions (page views, assignment rows) idle beyond the retention period."""
    return visitor_data_prune()
