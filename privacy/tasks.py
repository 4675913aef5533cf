"""Background work for privacy: the nightly retention purge and erasures (thin wrappers)."""

from celery import shared_task

from privacy import erasure, retention


# A first run over a large backlog takes a while; each batch commits on its own, so a
# run cut short by the limit leaves nothing half done and the next night carries on.
@shared_task(ignore_result=True, soft_time_limit=3600, time_limit=3700)
def retention_purge() -> dict[str, int]:
    """Delete every account's records older than its ``data_retention_days``."""
    return retention.retention_purge()


# Idempotent and resumable: a second delivery finds the erasure held or finished, and one
# cut short (time limit, killed worker) is picked up where it stopped by ``erasures_resume``.
@shared_task(ignore_result=True, soft_time_limit=1800, time_limit=1900)
def erasure_run(erasure_id: int) -> None:
    """Erase one person's data (``privacy.erasure``)."""
    erasure.erasure_run(erasure_id=erasure_id)


@shared_task(ignore_result=True)
def erasures_resume() -> int:
    """Hand erasures whose task was lost or whose worker died to a worker again."""
    return erasure.erasures_resume()
