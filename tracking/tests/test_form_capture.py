import json
import uuid

import pytest

from tracking.forms_capture import (
    FormCapture,
    clean_fields,
    customer_details,
    form_submission_capture,
    looks_like_card_number,
)
from tracking.models import FormSubmission, Person, VisitorSession
from tracking.signals import form_submitted
from tracking.tests.factories import dni_config, session_tracker

UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"
SITE = "https://www.alice-plumbing.example"


def ident() -> str:
    return uuid.uuid4().hex


def send(client, company, body, path):
    return client.post(
        f"/dni/{company.public_id}/{path}", data=json.dumps(body), content_type="text/plain", HTTP_USER_AGENT=UA
    )


@pytest.fixture(autouse=True)
def form_capture_on(company, other_company):
    # The endpoint takes submissions only for companies that turned form capture on.
    for each in (company, other_company):
        each.form_capture = True
        each.save(update_fields=["form_capture"])


@pytest.fixture
def visit_of(client, company):
    session_tracker(company=company, size=4)

    def start(**extra):
        body = {"v": ident(), "s": ident(), "u": f"{SITE}/?utm_source=google&utm_medium=cpc&utm_campaign=spring"}
        body.update(l=body["u"], lr="https://www.google.com/", **extra)
        assert send(client, company, body, "session").status_code == 200
        return body

    return start


def test_a_form_is_stored_with_the_sessions_attribution(client, company, visit_of):
    seen = []
    form_submitted.connect(lambda sender, submission, **kw: seen.append(submission.public_id), weak=False)
    body = visit_of()
    form = {
        "v": body["v"],
        "s": body["s"],
        "u": f"{SITE}/contact",
        "n": "quote",
        "f": {
            "name": "Ann Smith",
            "phone": "(404) 555-0188",
            "email": "ann@example.com",
            "password": "hunter2",
            "card": "4111 1111 1111 1111",
            "notes": "4242424242424242",
            "message": "Leaking pipe",
        },
    }
    response = send(client, company, form, "form")
    assert response.status_code == 201
    submission = FormSubmission.objects.get(public_id=response.json()["id"])
    assert submission.form_data == {
        "name": "Ann Smith",
        "phone": "(404) 555-0188",
        "email": "ann@example.com",
        "message": "Leaking pipe",
    }
    assert submission.session == VisitorSession.objects.get(session_key=body["s"])
    assert (submission.referrer, submission.source, submission.medium, submission.campaign) == (
        "google_paid",
        "Google Paid",
        "cpc",
        "spring",
    )
    assert (submission.utm_source, submission.utm_medium, submission.utm_campaign) == ("google", "cpc", "spring")
    assert submission.form_url == f"{SITE}/contact"
    assert submission.landing_page_url == body["u"]
    assert submission.referring_url == "https://www.google.com/"
    assert submission.form_name == "quote"
    assert submission.first_form is True
    assert (submission.customer_phone_number, submission.customer_name, submission.customer_email) == (
        "+14045550188",
        "Ann Smith",
        "ann@example.com",
    )
    assert submission.person == Person.objects.get(company=company, phone_number="+14045550188")
    assert submission.company == company and submission.account == company.account
    assert seen == [submission.public_id]
    # A second form from the same person is not their first.
    again = send(client, company, {**form, "f": {"phone": "404-555-0188"}}, "form")
    assert FormSubmission.objects.get(public_id=again.json()["id"]).first_form is False


def test_ignored_fields_are_dropped(client, company, visit_of):
    company.ignored_form_fields = ["internal_ref"]
    company.save()
    body = visit_of()
    response = send(
        client, company, {"v": body["v"], "s": body["s"], "u": SITE + "/", "f": {"internal_ref": "x", "q": "y"}}, "form"
    )
    assert FormSubmission.objects.get(public_id=response.json()["id"]).form_data == {"q": "y"}


def test_a_form_from_a_session_we_never_saw_still_gets_attributed(client, company):
    body = {"v": ident(), "s": ident(), "u": f"{SITE}/contact", "l": f"{SITE}/?gclid=1", "f": {"q": "hello"}}
    response = send(client, company, body, "form")
    assert response.status_code == 201
    submission = FormSubmission.objects.get(public_id=response.json()["id"])
    assert submission.session.source == "google_paid"
    assert submission.person is None


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"v": ident(), "s": ident(), "u": SITE + "/"}, 400),
        ({"v": ident(), "s": ident(), "u": SITE + "/", "f": {}}, 400),
        ({"v": ident(), "s": ident(), "u": SITE + "/", "f": ["a"]}, 400),
        ({"v": "x", "s": ident(), "u": SITE + "/", "f": {"a": "b"}}, 400),
    ],
)
def test_bad_forms_are_refused(client, company, body, status):
    assert send(client, company, body, "form").status_code == status
    assert not FormSubmission.objects.exists()


def test_forms_of_another_company_stay_there(client, company, other_company):
    body = {"v": ident(), "s": ident(), "u": SITE + "/", "f": {"a": "b"}}
    send(client, other_company, body, "form")
    assert not FormSubmission.objects.filter(company=company).exists()
    assert FormSubmission.objects.filter(company=other_company, account=other_company.account).count() == 1


def test_clean_fields_and_customer_details():
    fields = {
        "Your Name": "Bo",
        "cc_number": "1234",
        "user_pass": "x",
        "tel": "+1 770 555 0101",
        "contact": "bo@example.org",
        "cvv": "123",
        "choices": ["a", "b"],
    }
    cleaned = clean_fields(fields, [])
    assert cleaned == {"Your Name": "Bo", "tel": "+1 770 555 0101", "contact": "bo@example.org", "choices": ["a", "b"]}
    assert customer_details(cleaned) == ("+17705550101", "Bo", "bo@example.org")
    assert looks_like_card_number("4111-1111-1111-1111")
    assert not looks_like_card_number("4111-1111-1111-1112")
    assert not looks_like_card_number("(404) 555-0188")


def test_a_form_without_a_prior_visit_records_the_session_as_a_visit_would(company):
    landing = "https://shop.example/?utm_source=google&utm_medium=cpc&gbraid=GB123&" + "x=" + "y" * 5000
    capture = FormCapture(
        visitor_id=ident(),
        session_key=ident(),
        form_url="https://shop.example/contact",
        fields={"name": "Bo"},
        landing_url=landing,
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)",
    )
    submission = form_submission_capture(dni_config(company), capture)
    session = submission.session
    # An iOS Google Ads click carries gbraid instead of gclid; the session keeps it as its click id.
    assert session.gclid == "GB123"
    assert session.device_type == "mobile" and session.utm_source == "google"
    assert len(session.landing_url) == 4000
