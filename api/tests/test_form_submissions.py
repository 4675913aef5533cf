"""Form submissions: list, create, update, ignored fields."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Tag, User
from api.tests.factories import FormSubmissionFactory, PersonFactory
from api.v3.serializers.form_submissions import DEFAULT_FIELDS, EXTRA_FIELDS
from tracking.models import FormSubmission

pytestmark = pytest.mark.django_db


def url(account, suffix=""):
    return f"/v3/a/{account.public_id}/form_submissions{suffix}.json"


def test_it_lists_submissions_in_the_reference_shape(api_client, account, company):
    form = FormSubmissionFactory(company=company, customer_phone_number="+19999999999", customer_name="Graham")
    response = api_client.get(url(account))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"page", "per_page", "total_pages", "total_records", "form_submissions"}
    row = body["form_submissions"][0]
    assert set(row) == set(DEFAULT_FIELDS)
    assert row["id"] == form.public_id
    assert row["company_id"] == company.public_id
    assert row["person_id"] == "anonymous"
    assert row["formatted_customer_phone_number"] == "999-999-9999"
    assert row["submitted_at"].endswith("Z")
    assert row["source"] == "Google Ads"
    assert row["referrer"] == "google_paid"


def test_it_adds_selectable_fields(api_client, account, company):
    person = PersonFactory(company=company)
    form = FormSubmissionFactory(company=company, person=person, note="hi", value="3.00", form_name="Contact")
    form.tags.add(Tag.objects.create(account=account, company=company, name="Hot"))
    row = api_client.get(url(account) + "?fields=" + ",".join(EXTRA_FIELDS)).json()["form_submissions"][0]
    assert set(row) == set(DEFAULT_FIELDS) | set(EXTRA_FIELDS)
    assert row["tags"] == ["Hot"]
    assert row["value"] == 3
    assert row["form_name"] == "Contact"
    assert row["company_name"] == company.name
    assert row["person_id"] == person.public_id
    assert row["timeline_url"].endswith(f"person_id={person.public_id}&date_range=all_time")
    assert set(row["milestones"]) == {"first_touch", "lead_created", "qualified", "last_touch"}


def test_it_filters_and_sorts(api_client, account, company):
    person = PersonFactory(company=company)
    lead = FormSubmissionFactory(company=company, person=person, lead_status="good_lead", form_url="https://a.example")
    other = FormSubmissionFactory(company=company, form_url="https://b.example")
    lead.tags.add(Tag.objects.create(account=account, company=company, name="Hot"))
    old = FormSubmissionFactory(company=company, submitted_at=timezone.now() - timedelta(days=60))

    def ids(query):
        response = api_client.get(url(account) + "?" + query)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["form_submissions"]]

    assert set(ids("person_lead=true")) == {lead.public_id}
    assert set(ids("lead_status=good_lead")) == {lead.public_id}
    assert set(ids("lead_status=not_scored")) == {other.public_id}
    assert set(ids("tags[]=Hot")) == {lead.public_id}
    assert set(ids(f"company_id={company.public_id}")) == {lead.public_id, other.public_id}
    assert old.public_id in ids("date_range=all_time")
    assert ids("sort=form_url") == [lead.public_id, other.public_id]
    assert ids("sort=form_url&order=desc") == [other.public_id, lead.public_id]
    assert len(ids("sort=submitted_at")) == 2
    assert len(ids("sort=created_at")) == 2
    assert api_client.get(url(account) + "?lead_status=maybe").status_code == 400


def test_it_hides_other_accounts(api_client, account, other_company):
    theirs = FormSubmissionFactory(company=other_company)
    assert api_client.get(url(account)).json()["total_records"] == 0
    assert api_client.put(url(account, f"/{theirs.public_id}"), {"note": "x"}, format="json").status_code == 404


def test_it_needs_a_key(client, account):
    assert client.get(url(account)).status_code == 401


def test_it_keeps_the_query_count_flat(api_client, account, company, django_assert_max_num_queries):
    for _ in range(10):
        FormSubmissionFactory(company=company, person=PersonFactory(company=company))
    with django_assert_max_num_queries(12):
        response = api_client.get(url(account) + "?fields=tags,milestones,company_name,timeline_url")
    assert len(response.json()["form_submissions"]) == 10


def test_it_creates_a_submission_wrapped_or_flat(api_client, account, company):
    fields = {
        "company_id": company.public_id,
        "referrer": "wikipedia_link",
        "referring_url": "wikipedia.org/wiki/Carmen_Sandiego",
        "landing_page_url": "missingmonuments.com/info",
        "form_url": "missingmonuments.com/report/new",
        "form_data": {"phone_number": "5555555555", "report": "Carmen", "password": "hunter2"},
    }
    response = api_client.post(url(account), {"form_submission": fields}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == set(DEFAULT_FIELDS[:10])
    assert body["person_id"].startswith("PER")
    assert body["first_form"] is True
    assert body["form_data"] == {"phone_number": "5555555555", "report": "Carmen"}
    again = api_client.post(url(account), fields, format="json")
    assert again.status_code == 201
    assert again.json()["person_id"] == body["person_id"]
    assert again.json()["first_form"] is False


def test_create_validates(api_client, account, company, other_company):
    response = api_client.post(url(account), {"company_id": company.public_id}, format="json")
    assert response.status_code == 400
    assert "required" in response.json()["error"]
    body = {
        "company_id": other_company.public_id,
        "referrer": "x",
        "referring_url": "x",
        "landing_page_url": "x",
        "form_url": "x",
        "form_data": {"a": "b"},
    }
    assert api_client.post(url(account), body, format="json").status_code == 404
    assert not FormSubmission.objects.exists()


def test_it_updates_a_submission(api_client, account, company):
    form = FormSubmissionFactory(company=company)
    Tag.objects.create(account=account, company=company, name="Existing")
    form.tags.add(Tag.objects.get(name="Existing"))
    response = api_client.put(
        url(account, f"/{form.public_id}"),
        {
            "note": "Call back",
            "tags": ["New Client"],
            "lead_status": "good_lead",
            "value": "$1.00",
            "append_tags": True,
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert "customer_email" not in response.json()
    form.refresh_from_db()
    assert form.note == "Call back"
    assert str(form.value) == "1.00"
    assert form.lead_status == "good_lead"
    assert sorted(form.tags.values_list("name", flat=True)) == ["Existing", "New Client"]
    api_client.put(url(account, f"/{form.public_id}"), {"tags": ["Only"]}, format="json")
    assert list(form.tags.values_list("name", flat=True)) == ["Only"]
    assert api_client.put(url(account, f"/{form.public_id}"), {"value": "lots"}, format="json").status_code == 400


def test_previously_marked_good_lead_cannot_be_scored_again(api_client, account, company):
    form = FormSubmissionFactory(company=company, lead_status="previously_marked_good_lead")
    response = api_client.put(url(account, f"/{form.public_id}"), {"lead_status": "good_lead"}, format="json")
    assert response.status_code == 400
    assert "error" in response.json()


def test_reporting_users_may_score_submissions(account, company, make_api_client):
    reporter = User.objects.create_user(email="r@example.com", account=account, role=User.Role.REPORTING)
    reporter.companies.add(company)
    form = FormSubmissionFactory(company=company)
    client = make_api_client(reporter)
    assert client.put(url(account, f"/{form.public_id}"), {"note": "ok"}, format="json").status_code == 200
    assert client.post(url(account, "/ignored_fields"), {}, format="json").status_code == 403


def test_ignored_fields_strip_past_and_future_submissions(api_client, account, company):
    form = FormSubmissionFactory(company=company, form_data={"ssn": "123", "Comment": "hi"})
    response = api_client.post(
        url(account, "/ignored_fields"), {"company_ids": [company.numeric_id], "field_names": ["SSN"]}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {"message": "Ingored form fields created"}
    form.refresh_from_db()
    assert form.form_data == {"Comment": "hi"}
    company.refresh_from_db()
    assert company.ignored_form_fields == ["SSN"]
    created = api_client.post(
        url(account),
        {
            "company_id": company.public_id,
            "referrer": "direct",
            "referring_url": "-",
            "landing_page_url": "/",
            "form_url": "/f",
            "form_data": {"ssn": "999", "name": "Bo"},
        },
        format="json",
    ).json()
    assert created["form_data"] == {"name": "Bo"}
    assert (
        api_client.post(
            url(account, "/ignored_fields"), {"company_ids": ["all"], "field_names": ["x"]}, format="json"
        ).status_code
        == 200
    )
    assert api_client.post(url(account, "/ignored_fields"), {"company_ids": []}, format="json").status_code == 400


def test_ignored_fields_are_kept_once_whatever_the_case_or_repetition(api_client, account, company):
    company.ignored_form_fields = ["ssn"]
    company.save()
    response = api_client.post(
        url(account, "/ignored_fields"),
        {"company_ids": [company.public_id], "field_names": ["SSN", "Card", "card", " Card ", "dob"]},
        format="json",
    )
    assert response.status_code == 200
    company.refresh_from_db()
    assert company.ignored_form_fields == ["ssn", "Card", "dob"]


def test_values_and_tags_follow_the_rules_of_calls(api_client, account, company):
    form = FormSubmissionFactory(company=company)
    Tag.objects.create(account=account, company=company, name="Old", status=Tag.Status.DISABLED)
    negative = api_client.put(url(account, f"/{form.public_id}"), {"value": "-5"}, format="json")
    assert negative.status_code == 400
    assert "not an amount" in negative.json()["error"]
    disabled = api_client.put(url(account, f"/{form.public_id}"), {"tags": ["Old"]}, format="json")
    assert disabled.json() == {"error": "The tag 'Old' is disabled."}
    account_tag = Tag.objects.create(account=account, company=None, name="Sales", tag_level=Tag.Level.ACCOUNT)
    own = Tag.objects.create(account=account, company=company, name="Sales")
    api_client.put(url(account, f"/{form.public_id}"), {"tags": ["Sales"]}, format="json")
    assert list(form.tags.all()) == [own]
    assert account_tag not in form.tags.all()
