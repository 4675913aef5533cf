from unittest import mock

from tracking.models import Person
from tracking.people import person_for_contact, person_for_phone


def contact(company, **details):
    return person_for_contact(
        account_id=company.account_id,
        company_id=company.pk,
        **{"phone": "", "email": "", "name": "", **details},
    )


def test_without_phone_or_email_there_is_no_lead(company):
    assert contact(company, name="Ann") is None
    assert not Person.objects.exists()


def test_the_phone_number_finds_the_lead_first(company):
    by_phone = Person.objects.create(account=company.account, company=company, phone_number="+14045550188")
    Person.objects.create(account=company.account, company=company, email="ann@example.com")
    assert contact(company, phone="+14045550188", email="ann@example.com") == by_phone


def test_the_email_finds_the_lead_the_phone_does_not(company):
    by_email = Person.objects.create(account=company.account, company=company, email="Ann@Example.com")
    assert contact(company, phone="+14045550188", email="ann@example.com") == by_email
    assert Person.objects.count() == 1


def test_a_new_contact_becomes_a_lead(company):
    by_phone = contact(company, phone="+14045550188", name="Ann")
    by_email = contact(company, email="bo@example.com", name="Bo")
    assert (by_phone.phone_number, by_phone.name) == ("+14045550188", "Ann")
    assert (by_email.email, by_email.name) == ("bo@example.com", "Bo")
    assert Person.objects.count() == 2


def test_what_the_lead_lacks_is_filled_in_and_nothing_is_overwritten(company):
    person = Person.objects.create(account=company.account, company=company, phone_number="+14045550188", name="Ann")
    contact(company, phone="+14045550188", email="ann@example.com", name="Annie")
    person.refresh_from_db()
    assert (person.name, person.email) == ("Ann", "ann@example.com")


def test_a_concurrent_first_call_from_the_same_number_shares_the_person(company):
    existing = Person.objects.create(account=company.account, company=company, phone_number="+13035550123")
    # The lookup ran before the other request's insert committed: the insert must yield.
    with mock.patch("django.db.models.query.QuerySet.first", return_value=None):
        person = person_for_phone(
            account_id=company.account_id, company_id=company.pk, phone_number="+13035550123", name="Late"
        )
    assert person == existing
    assert Person.objects.filter(company=company).count() == 1
    fresh = person_for_phone(
        account_id=company.account_id, company_id=company.pk, phone_number="+13035550999", name="New Caller"
    )
    assert Person.objects.get(pk=fresh.pk).name == "New Caller"
    assert fresh.public_id.startswith("PER")
