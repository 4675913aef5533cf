import pytest

from dashboard.tests.analytics_seed import seed_history
from dashboard.tests.conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_look(page, live_url, sign_in, check_page, manager_user, company):
    seed_history(company, manager_user)
    sign_in(manager_user)
    page.goto(live_url("dashboard:overview", f"?company={company.public_id}&compare=previous"))
    check_page("scratch-overview")
    page.goto(live_url("dashboard:report", f"?company={company.public_id}&compare=previous", slug="source"))
    check_page("scratch-report-source")
    page.goto(live_url("dashboard:report", f"?company={company.public_id}", slug="time_of_day"))
    check_page("scratch-report-hour")
    page.goto(live_url("dashboard:reports", f"?company={company.public_id}"))
    check_page("scratch-reports")
    page.set_viewport_size(PHONE)
    page.goto(live_url("dashboard:overview", f"?company={company.public_id}&compare=previous"))
    check_page("scratch-overview-phone")


def test_overflow(page, live_url, sign_in, manager_user, company):
    seed_history(company, manager_user, calls=30)
    sign_in(manager_user)
    page.set_viewport_size(PHONE)
    for url in [
        live_url("dashboard:overview", f"?company={company.public_id}"),
        live_url("dashboard:report", f"?company={company.public_id}", slug="source"),
        live_url("dashboard:live"),
    ]:
        page.goto(url)
        print(url, page.evaluate("document.documentElement.scrollWidth"))
        print(
            page.evaluate(
                """Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > 392 && !e.closest('nav')).slice(0, 12).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""
            )
        )
