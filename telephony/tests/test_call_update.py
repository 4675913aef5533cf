from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Tag
from telephony import signals
from telephony.models import Call
from telephony.services.callers import caller_history
from telephony.services.edits import call_update
from tracking.models import Person


@pytest.fixture
def call(company):
    person = Person.objects.create(account=company.account, company=company, phone_number="+13035550123")
    return Call.objects.create(
        account=company.account,
        company=company,
        person=person,
        start_time=timezone.now(),
        status="completed",
        tracking_phone_number="+14045550100",
        customer_phone_number="+13035550123",
    )


@pytest.fixture
def modified():
    receiver = mock.Mock()
    signals.call_modified.connect(receiver)
    yield receiver
    signals.call_modified.disconnect(receiver)


def test_it_updates_note_value_lead_status_and_name(call, modified):
    updated = call_update(
        call=call,
        changes={"note": "Wants a quote", "value": "$1,250.50", "lead_status": "good_lead", "customer_name": "Ann Lee"},
    )
    assert (updated.note, updated.value, updated.lead_status, updated.customer_name) == (
        "Wants a quote",
        Decimal("1250.50"),
        "good_lead",
        "Ann Lee",
    )
    assert modified.call_args.kwargs["changes"] == ["lead_status", "note", "value", "customer_name"]
    assert Person.objects.get(pk=call.person_id).name == "Ann Lee"


def test_unknown_tags_are_created_in_the_company_and_can_be_appended(call, company, modified):
    call_update(call=call, changes={"tags": ["Sales", "New"]})
    assert sorted(call.tags.values_list("name", flat=True)) == ["New", "Sales"]
    assert Tag.objects.get(name="Sales").company == company
    call_update(call=call, changes={"tags": ["Urgent"], "append_tags": True})
    assert sorted(call.tags.values_list("name", flat=True)) == ["New", "Sales", "Urgent"]
    call_update(call=call, changes={"tags": ["Urgent"]})
    assert list(call.tags.values_list("name", flat=True)) == ["Urgent"]
    call_update(call=call, changes={"tags": []})
    assert not call.tags.exists()
    assert [c.kwargs["changes"] for c in modified.call_args_list] == [["tags"]] * 4


def test_null_clears_and_omitted_fields_stay(call):
    call_update(call=call, changes={"note": "x", "value": "1.00"})
    updated = call_update(call=call, changes={"value": None})
    assert (updated.note, updated.value) == ("x", None)


def test_nothing_changed_sends_no_event(call, modified):
    call_update(call=call, changes={"note": ""})
    assert modified.call_count == 0


def test_a_previously_good_lead_cannot_be_marked_good_again(call):
    call.lead_status = Call.LeadStatus.PREVIOUSLY_MARKED_GOOD_LEAD
    call.save()
    with pytest.raises(ValidationError, match="already marked as a good lead"):
        call_update(call=call, changes={"lead_status": "good_lead"})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"lead_status": "great"}, "good_lead, not_a_lead or null"),
        ({"value": "a lot"}, "not an amount"),
        ({"value": "-5"}, "not an amount"),
        ({"tags": "x" * 101}, "at most 100"),
        ({"tags": [1, 2]}, "list of tag names"),
        ({"duration": 5}, "Unknown field: duration"),
    ],
)
def test_bad_changes_are_refused_and_nothing_is_written(call, changes, message):
    with pytest.raises(ValidationError, match=message):
        call_update(call=call, changes={"note": "half", **changes})
    call.refresh_from_db()
    assert call.note == ""


def test_a_later_call_from_a_good_lead_is_previously_marked(call, company):
    call_update(call=call, changes={"lead_status": "good_lead"})
    assert caller_history(company_id=company.pk, phone_number="+13035550123").good_lead_before
