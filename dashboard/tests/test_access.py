"""The walls around dashboard pages: signed in, an account's user, companies the user can
see (404 otherwise), editors for changes (403 for reporting users), CSRF on every form."""

from types import SimpleNamespace

import pytest
from django.urls import reverse

from accounts.models import User
from dashboard.access import home_url

pytestmark = pytest.mark.django_db

PAGES = ("overview", "live", "calls", "forms", "texts", "reports")


def test_signed_out_the_home_page_leads_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:sign-in")


@pytest.mark.parametrize("name", PAGES[1:])
def test_signed_out_a_page_leads_to_sign_in_and_back(client, name):
    response = client.get(reverse(f"dashboard:{name}") + "?date_range=today")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("dashboard:sign-in") + "?next=")
    assert "date_range%3Dtoday" in response["Location"]


@pytest.mark.parametrize("name", PAGES)
def test_every_role_sees_every_page(client, name, admin_user, manager_user, reporting_user):
    for user in (admin_user, manager_user, reporting_user):
        client.force_login(user)
        response = client.get(reverse(f"dashboard:{name}"))
        assert response.status_code == 200
        assert f"<h1>{name.capitalize()}</h1>" in response.content.decode()


def test_an_operator_without_an_account_belongs_in_the_admin():
    assert home_url(SimpleNamespace(account_id=None)) == reverse("admin:index")
    assert home_url(SimpleNamespace(account_id=1)) == reverse("dashboard:overview")


def test_users_see_only_their_companies(client, company, second_company, reporting_user, manager_user, admin_user):
    client.force_login(reporting_user)
    assert client.get("/", {"company": company.public_id}).status_code == 200
    assert client.get("/", {"company": second_company.public_id}).status_code == 404
    for user in (manager_user, admin_user):
        client.force_login(user)
        assert client.get("/", {"company": second_company.public_id}).status_code == 200


def test_another_account_s_company_is_a_404_never_a_403(client, admin_user, other_company):
    client.force_login(admin_user)
    for name in PAGES:
        response = client.get(reverse(f"dashboard:{name}"), {"company": other_company.public_id})
        assert response.status_code == 404
    assert client.get("/", {"company": "COM-no-such-thing"}).status_code == 404


def test_the_switcher_offers_all_companies_only_to_users_with_several(client, company, manager_user, reporting_user):
    client.force_login(manager_user)
    body = client.get("/").content.decode()
    assert "All companies" in body and 'name="company"' in body
    client.force_login(reporting_user)
    body = client.get("/").content.decode()
    assert "All companies" not in body and company.name in body


def test_a_user_without_companies_sees_why(client, make_user):
    client.force_login(make_user(User.Role.REPORTING))
    body = client.get("/").content.decode()
    assert "No company to show yet" in body


def test_the_period_follows_the_company_s_time_zone_or_the_user_s(client, company, second_company, manager_user):
    client.force_login(manager_user)
    assert client.get("/", {"company": second_company.public_id}).context["scope"].time_zone == "America/Los_Angeles"
    manager_user.time_zone = "Europe/Paris"
    manager_user.save()
    assert client.get("/").context["scope"].time_zone == "Europe/Paris"


@pytest.mark.urls("dashboard.tests.urls")
@pytest.mark.parametrize("url_name", ["test-editor-only", "test-editor-only-function"])
def test_reporting_users_read_but_cannot_post(client, url_name, company, reporting_user, manager_user):
    url = reverse(url_name)
    client.force_login(reporting_user)
    assert client.post(url, {"company": company.public_id}).status_code == 403
    client.force_login(manager_user)
    assert client.post(url).status_code == 200


@pytest.mark.urls("dashboard.tests.urls")
def test_the_company_wall_comes_before_the_role_wall(client, other_company, reporting_user):
    client.force_login(reporting_user)
    response = client.post(reverse("test-editor-only") + f"?company={other_company.public_id}")
    assert response.status_code == 404


@pytest.mark.urls("dashboard.tests.urls")
def test_posts_need_the_csrf_token(manager_user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(manager_user)
    assert client.post(reverse("test-editor-only")).status_code == 403
    assert client.post(reverse("dashboard:sign-out")).status_code == 403


def test_sign_in_takes_any_case_of_the_email_and_refuses_inactive_users(client, manager_user):
    from dashboard.tests.conftest import PASSWORD

    url = reverse("dashboard:sign-in")
    response = client.post(url, {"username": "MANAGER@Example.com", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("dashboard:overview")
    client.logout()
    manager_user.is_active = False
    manager_user.save()
    response = client.post(url, {"username": "manager@example.com", "password": PASSWORD})
    assert response.status_code == 200
    assert "don&#x27;t match" in response.content.decode()


def test_invited_users_cannot_sign_in_before_choosing_a_password(client, make_user):
    user = make_user(User.Role.REPORTING, email="new@example.com", accepted=False)
    user.set_unusable_password()
    user.save()
    response = client.post(reverse("dashboard:sign-in"), {"username": "new@example.com", "password": ""})
    assert response.status_code == 200


def test_sign_out_refuses_get(client, manager_user):
    client.force_login(manager_user)
    assert client.get(reverse("dashboard:sign-out")).status_code == 405
    assert client.post(reverse("dashboard:sign-out")).status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.urls("dashboard.tests.urls")
def test_the_shell_costs_the_same_queries_however_many_companies(
    client, account, manager_user, django_assert_num_queries
):
    from accounts.models import Company

    # A page that is the shell alone: the real pages add their own, fixed, statements.
    shell = reverse("test-editor-only")
    client.force_login(manager_user)
    client.get(shell)  # the session row, warmed
    with django_assert_num_queries(4) as first:
        client.get(shell)
    for index in range(10):
        manager_user.companies.add(Company.objects.create(account=account, name=f"Branch {index}"))
    with django_assert_num_queries(len(first.captured_queries)):
        assert client.get(shell).status_code == 200
