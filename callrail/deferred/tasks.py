from celery import shared_task

from callrail.deferred import services


@shared_task
def deferred_tasks_send() -> None:
    services.deferred_tasks_send()
