"""Leads: the person behind a phone number, created on first contact by a call or a form."""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

from callrail.db import prepared_cursor
from tracking.models import Person


def person_for_phone(*, account_id: int, company_id: int, phone_number: str, name: str = "", email: str = "") -> Person:
    """The lead behind a phone number in a company (created on first contact by a call or a form).

    Two statements at most and no savepoint, because it runs on every call: look the
    person up; if missing, insert unless a concurrent first contact from the same number
    just did (``ON CONFLICT DO NOTHING`` on the unique (company, phone) index), then
    read the winner."""
    person = Person.objects.filter(company_id=company_id, phone_number=phone_number).first()
    if person is not None:
        return person
    return person_insert(
        account_id=account_id, company_id=company_id, phone_number=phone_number, name=name, email=email
    )


def person_insert(*, account_id: int, company_id: int, phone_number: str, name: str = "", email: str = "") -> Person:
    """Create the lead for a number already looked up and missing, or read the row a
    concurrent first contact just created (``ON CONFLICT DO NOTHING``, no savepoint)."""
    person = Person(
        account_id=account_id, company_id=company_id, phone_number=phone_number, email=email, name=name[:255]
    )
    now = timezone.now()
    person.created_at = person.updated_at = now
    table = connection.ops.quote_name(Person._meta.db_table)
    with prepared_cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (created_at, updated_at, public_id, account_id, company_id, phone_number, email, name)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (company_id, phone_number) WHERE NOT (phone_number = '') DO NOTHING RETURNING id",
            [
                connection.ops.adapt_datetimefield_value(now),
                connection.ops.adapt_datetimefield_value(now),
                person.public_id,
                account_id,
                company_id,
                phone_number,
                person.email,
                person.name,
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return Person.objects.get(company_id=company_id, phone_number=phone_number)
    person.pk = row[0]
    person._state.adding = False
    return person
