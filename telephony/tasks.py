"""Celery wrappers around telephony services: load by id, call one service."""

from celery import shared_task

from telephony.services import callbacks


@shared_task(ignore_result=True)
def call_post_call_deadline(call_id: int) -> None:
    """Announce a finished call whose recording or transcription never arrived."""
    callbacks.call_post_call_deadline(call_id=call_id)
