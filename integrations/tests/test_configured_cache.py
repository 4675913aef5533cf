"""Where each company sends its events is cached per process and cleared on every change."""

from unittest import mock

import pytest
import redis
from django.db import transaction

from callrail.redis import get_redis
from integrations.models import Integration, WebhookEvent
from integrations.tests.conftest import make_call, make_conversation, make_form_submission, make_text
from integrations.webhooks.events import CONFIGURED_VERSION_KEY, configured_events
from telephony import signals
from tracking import signals as tracking_signals

pytestmark = pytest.mark.django_db

Event = WebhookEvent.Event


def webhooks(company, **config):
    return Integration.objects.create(
        account=company.account, company=company, type=Integration.Type.WEBHOOKS, config=config
    )


def started(tracker):
    call = make_call(tracker)
    signals.call_started.send(sender=None, call=call)
    return call


def pre_call_events():
    return WebhookEvent.objects.filter(event=Event.PRE_CALL).count()


def test_a_company_without_webhooks_costs_no_query_once_cached(company, tracker, django_assert_num_queries):
    call = make_call(tracker)
    signals.call_started.send(sender=None, call=call)
    with django_assert_num_queries(0):  # nor a savepoint
        signals.call_started.send(sender=None, call=call)
        signals.call_routed.send(sender=None, call=call)
    assert not WebhookEvent.objects.exists()


def test_a_new_integration_is_seen_on_the_next_call(company, tracker):
    started(tracker)
    assert configured_events(company.pk) == frozenset()
    webhooks(company, pre_call_webhook=["https://example.com/pre"])
    started(tracker)
    assert pre_call_events() == 1
    assert configured_events(company.pk) == {Event.PRE_CALL}


def test_changed_config_disabling_and_deleting_are_seen_at_once(company, tracker):
    integration = webhooks(company, pre_call_webhook=["https://example.com/pre"])
    started(tracker)
    assert pre_call_events() == 1

    integration.config = {"post_call_webhook": ["https://example.com/post"]}
    integration.save()
    started(tracker)
    assert pre_call_events() == 1

    integration.config = {"pre_call_webhook": ["https://example.com/pre"]}
    integration.save()
    started(tracker)
    assert pre_call_events() == 2

    integration.state = Integration.State.DISABLED
    integration.save()
    started(tracker)
    assert pre_call_events() == 2

    integration.state = Integration.State.ACTIVE
    integration.save()
    started(tracker)
    assert pre_call_events() == 3

    integration.delete()  # its events go with it
    started(tracker)
    assert not WebhookEvent.objects.exists()


def test_other_processes_see_changes_through_the_version_in_redis(company, tracker, settings):
    integration = webhooks(company, pre_call_webhook=["https://example.com/pre"])
    started(tracker)
    # A change this process did not see (no save): the cached answer stands...
    Integration.objects.filter(pk=integration.pk).update(config={})
    assert configured_events(company.pk) == {Event.PRE_CALL}
    # ...until another process's save bumps the shared version.
    get_redis().incr(CONFIGURED_VERSION_KEY)
    assert configured_events(company.pk) == frozenset()
    started(tracker)
    assert pre_call_events() == 1
    # Without a TTL nothing is kept.
    settings.WEBHOOKS_CONFIG_CACHE_TTL = 0
    Integration.objects.filter(pk=integration.pk).update(config={"pre_call_webhook": ["https://example.com/pre"]})
    started(tracker)
    assert pre_call_events() == 2


def test_a_save_bumps_the_version_now_and_again_on_commit(company, django_capture_on_commit_callbacks):
    client = get_redis()
    before = int(client.get(CONFIGURED_VERSION_KEY) or 0)
    with django_capture_on_commit_callbacks(execute=True):
        webhooks(company, pre_call_webhook=["https://example.com/pre"])
        assert int(client.get(CONFIGURED_VERSION_KEY) or 0) == before + 1
    assert int(client.get(CONFIGURED_VERSION_KEY) or 0) == before + 2


def test_without_redis_the_database_answers(company, tracker):
    started(tracker)
    with mock.patch("callrail.versioned_cache.get_redis", side_effect=redis.ConnectionError("down")):
        # The save cannot announce itself; this process still reads the database.
        webhooks(company, pre_call_webhook=["https://example.com/pre"])
        started(tracker)
    assert pre_call_events() == 1


def test_events_are_still_written_in_the_callers_transaction(company, tracker):
    webhooks(company, pre_call_webhook=["https://example.com/pre"])
    with transaction.atomic():
        started(tracker)
        assert pre_call_events() == 1
        transaction.set_rollback(True)
    assert pre_call_events() == 0


def test_texts_and_forms_use_the_same_answer(company, tracker, django_assert_num_queries):
    message = make_text(make_conversation(tracker))
    submission = make_form_submission(company)
    signals.text_message_received.send(sender=None, message=message)
    tracking_signals.form_submitted.send(sender=None, submission=submission)
    assert not WebhookEvent.objects.exists()
    webhooks(company, sms_received_webhook=["https://example.com/sms"], form_captured_webhook=["https://example.com/f"])
    signals.text_message_received.send(sender=None, message=message)
    tracking_signals.form_submitted.send(sender=None, submission=submission)
    assert sorted(WebhookEvent.objects.values_list("event", flat=True)) == sorted(
        [Event.TEXT_MESSAGE_RECEIVED, Event.FORM_SUBMISSION]
    )
