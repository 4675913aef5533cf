"""Operators read the erasure log and the HIPAA audit trail in the admin, and change neither."""

import pytest

from accounts.models import User
from privacy.erasure import erasure_request, erasure_run
from privacy.tests.conftest import days_ago, make_call
from telephony.access import call_access_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, account):
    user = User.objects.create_superuser(email="ops@example.com", password="pw", account=account)
    client.force_login(user)
    return client


def test_the_erasure_log_shows_no_identifiers(staff_client, account):
    erasure = erasure_request(account=account, phone_number="+13035550142", enqueue=False)
    page = staff_client.get(f"/admin/privacy/erasure/{erasure.pk}/change/")
    assert page.status_code == 200
    assert b"3035550142" not in page.content
    erasure_run(erasure_id=erasure.pk)
    listing = staff_client.get("/admin/privacy/erasure/")
    assert listing.status_code == 200 and erasure.public_id.encode() in listing.content
    assert staff_client.get("/admin/privacy/erasure/add/").status_code == 403


def test_the_audit_trail_is_read_only(staff_client, account, company, admin_user):
    account.hipaa_account = True
    account.save()
    call = make_call(company, at=days_ago(1))
    access = call_access_record(call, admin_user, "203.0.113.9", "recording")
    listing = staff_client.get("/admin/telephony/callaccess/")
    assert listing.status_code == 200 and call.public_id.encode() in listing.content
    assert staff_client.post(f"/admin/telephony/callaccess/{access.pk}/delete/", {"post": "yes"}).status_code == 403
