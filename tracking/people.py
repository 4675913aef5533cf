"""Leads (``Person``): the customer behind calls, texts and form submissions of a company.

A lead is found by phone number first (calls and texts know nothing else), then by
email; on first contact it is created. Two first contacts from the same number may
arrive together (a call and a form, two calls): the unique (company, phone) index
decides, and the loser reads the winner's row.
"""

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


def person_for_contact(*, account_id: int, company_id: int, phone: str, email: str, name: str) -> Person | None:
    """The lead a form's contact details name: found by phone, else by email, else created
    (None without either). A name or email the lead lacks is filled in from the form."""
    if not (phone or email):
        return None
    person = Person.objects.filter(company_id=company_id, phone_number=phone).first() if phone else None
    if person is None and email:
        person = Person.objects.filter(company_id=company_id, email__iexact=email).first()
    if person is None and not phone:
        return Person.objects.create(account_id=account_id, company_id=company_id, email=email, name=name)
    if person is None:
        # Looked up above; race-safe against a call or another form creating it right now.
        person = person_insert(account_id=account_id, company_id=company_id, phone_number=phone, name=name, email=email)
    changed = []
    if email and not person.email:
        person.email = email
        changed.append("email")
    if name and not person.name:
        person.name = name
        changed.append("name")
    if changed:
        person.save(update_fields=[*changed, "updated_at"])
    return person
