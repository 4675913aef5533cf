from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.forms.models import model_to_dict

from accounts.models import Company
from callrail.db import from_row, insert, prepared_cursor, select_columns
from telephony.models import Call

pytestmark = pytest.mark.django_db


def _call(company: Company, **fields: Any) -> Call:
    return Call(
        account_id=company.account_id,
        company=company,
        start_time=datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC),
        tracking_phone_number="+14045550100",
        customer_phone_number="+17705550101",
        **fields,
    )


def test_insert_stores_what_save_stores(company):
    fields: dict[str, Any] = {
        "call_sid": "CA" + "1" * 32,
        "answered": None,
        "value": Decimal("12.50"),
        "cookies": {"_ga": "GA1.2.3", "nested": {"list": [1, "two", None]}},
        "keypad_entries": [],
        "flow_state": {"dialed": True},
        "customer_name": 'Zoë O\'Brien "quoted" \\ back',
        "lead_status": None,
        "prior_calls": 3,
    }
    fast = _call(company, **fields)
    insert(fast)
    assert fast.pk is not None and not fast._state.adding
    slow = _call(company, **{**fields, "call_sid": "CA" + "2" * 32})
    slow.save(force_insert=True)

    stored_fast, stored_slow = Call.objects.get(pk=fast.pk), Call.objects.get(pk=slow.pk)
    ignore = {"id", "public_id", "numeric_id", "call_sid", "created_at", "updated_at", "tags"}
    as_dict = lambda call: {k: v for k, v in model_to_dict(call).items() if k not in ignore}  # noqa: E731
    assert as_dict(stored_fast) == as_dict(stored_slow)
    assert stored_fast.public_id == fast.public_id and stored_fast.numeric_id == fast.numeric_id
    assert stored_fast.start_time == fast.start_time
    assert stored_fast.created_at == fast.created_at and stored_fast.created_at is not None
    assert stored_fast.value == Decimal("12.50") and stored_fast.answered is None


def test_insert_raises_integrity_error_and_writes_nothing(company):
    first = _call(company, call_sid="CA" + "3" * 32)
    insert(first)
    with pytest.raises(IntegrityError), transaction.atomic():
        insert(_call(company, call_sid="CA" + "3" * 32))
    assert Call.objects.filter(call_sid="CA" + "3" * 32).count() == 1


def test_from_row_reads_what_the_orm_reads(company):
    from django.db import connection

    stored = _call(company, call_sid="CA" + "4" * 32, value=Decimal("3.10"), cookies={"a": [1]}, answered=True)
    insert(stored)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {select_columns(Call, 'c')}, 42 FROM telephony_call c WHERE c.id = %s", [stored.pk])
        row = cursor.fetchone()
    read = from_row(Call, row)
    expected = Call.objects.get(pk=stored.pk)
    assert model_to_dict(read, exclude=["tags"]) == model_to_dict(expected, exclude=["tags"])
    assert read.cookies == {"a": [1]} and read.answered is True and read.value == Decimal("3.10")
    assert not read._state.adding


def test_insert_saves_the_orm_way_when_something_listens(company):
    from django.db.models.signals import post_save

    heard = []

    def receiver(sender, instance, created, **kwargs):
        heard.append((instance.call_sid, created))

    post_save.connect(receiver, sender=Call)
    try:
        insert(_call(company, call_sid="CA" + "5" * 32))
    finally:
        post_save.disconnect(receiver, sender=Call)
    assert heard == [("CA" + "5" * 32, True)]
    assert Call.objects.filter(call_sid="CA" + "5" * 32).exists()


def test_prepared_cursor_statements_are_prepared_and_still_counted(django_assert_num_queries):
    sql = "SELECT %s::int + 1 AS prepared_cursor_probe"
    with django_assert_num_queries(6):
        for i in range(6):
            with prepared_cursor() as cursor:
                cursor.execute(sql, [i])
                assert cursor.fetchone() == (i + 1,)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%%prepared_cursor_probe%%'")
        assert cursor.fetchone()[0] == 1
