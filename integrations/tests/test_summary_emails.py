"""Summary emails: daily every morning, weekly on Mondays, monthly on the 1st, in local time, once."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from accounts.models import Account, Company, User
from callrail.celery import app
from integrations.emails import summary_emails_send, summary_period
from integrations.models import SummaryEmail
from integrations.tests.conftest import complete_call, make_call

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
ALL_SECTIONS = {"summary_statistics": True, "top_sources": True, "top_keywords": True, "call_log": True}


def at(zone: ZoneInfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def subscribe(
    company: Company | None = None,
    *,
    account: Account,
    frequency: list[str],
    created: datetime | None = None,
    **values: Any,
) -> SummaryEmail:
    values.setdefault("email", "owner@example.com")
    summary = SummaryEmail.objects.create(
        account=account, company=company, frequency=frequency, config=values.pop("config", ALL_SECTIONS), **values
    )
    SummaryEmail.objects.filter(pk=summary.pk).update(created_at=created or at(NEW_YORK, 2026, 1, 1))
    summary.refresh_from_db()
    return summary


def test_periods():
    # Tuesday 2026-03-10, 07:00 in New York.
    now = at(NEW_YORK, 2026, 3, 10, 7)
    daily = summary_period("daily", now, "America/New_York")
    assert (daily.start.isoformat(), daily.end.isoformat()) == ("2026-03-09", "2026-03-10")
    weekly = summary_period("weekly", now, "America/New_York")
    assert (weekly.start.isoformat(), weekly.end.isoformat()) == ("2026-03-02", "2026-03-09")
    monthly = summary_period("monthly", now, "America/New_York")
    assert (monthly.start.isoformat(), monthly.end.isoformat()) == ("2026-02-01", "2026-03-01")
    # Before 6:00 the latest due email is yesterday morning's.
    early = summary_period("daily", at(NEW_YORK, 2026, 3, 10, 5), "America/New_York")
    assert early.start.isoformat() == "2026-03-08"


def test_daily_goes_out_each_morning_once(account, company):
    subscribe(company, account=account, frequency=["daily"])
    assert summary_emails_send(now=at(NEW_YORK, 2026, 3, 10, 5, 59)) == 1  # yesterday morning's, caught up
    assert summary_emails_send(now=at(NEW_YORK, 2026, 3, 10, 5, 59)) == 0
    assert summary_emails_send(now=at(NEW_YORK, 2026, 3, 10, 6, 7)) == 1
    assert summary_emails_send(now=at(NEW_YORK, 2026, 3, 10, 7, 7)) == 0
    assert summary_emails_send(now=at(NEW_YORK, 2026, 3, 10, 23, 7)) == 0
    assert summary_emails_send(now=at(NEW_YORK, 2026, 3, 11, 6, 7)) == 1
    assert [message.subject for message in mail.outbox][-2:] == [
        "Daily call summary for Alice Plumbing: Monday, March 09, 2026",
        "Daily call summary for Alice Plumbing: Tuesday, March 10, 2026",
    ]


def test_weekly_on_mondays_and_monthly_on_the_first(account, company):
    subscribe(company, account=account, frequency=["weekly", "monthly"])
    summary_emails_send(now=at(NEW_YORK, 2026, 3, 2, 6, 7))  # Monday the 2nd: last week, and February
    subjects = sorted(message.subject for message in mail.outbox)
    assert subjects == [
        "Monthly call summary for Alice Plumbing: February 2026",
        "Weekly call summary for Alice Plumbing: week of February 23, 2026",
    ]
    for day in range(3, 9):
        assert summary_emails_send(now=at(NEW_YORK, 2026, 3, day, 6, 7)) == 0
    assert summary_emails_send(now=at(NEW_YORK, 2026, 3, 9, 6, 7)) == 1


def test_each_company_is_summarised_in_its_own_time_zone(account, company):
    tokyo = Company.objects.create(account=account, name="Tokyo branch", time_zone="Asia/Tokyo")
    subscribe(company, account=account, frequency=["daily"], email="ny@example.com")
    subscribe(tokyo, account=account, frequency=["daily"], email="tokyo@example.com")
    # 21:07 UTC on the 9th is 6:07 on the 10th in Tokyo and 17:07 on the 9th in New York.
    moment = datetime(2026, 3, 9, 21, 7, tzinfo=ZoneInfo("UTC"))
    # 10:30 UTC: 6:30 in New York, 19:30 in Tokyo; both send their latest due email.
    assert summary_emails_send(now=datetime(2026, 3, 9, 10, 30, tzinfo=ZoneInfo("UTC"))) == 2
    mail.outbox.clear()
    assert summary_emails_send(now=moment) == 1
    assert mail.outbox[0].to == ["tokyo@example.com"]
    assert "Monday, March 09, 2026" in mail.outbox[0].subject


def test_a_new_subscription_starts_with_the_next_email(account, company):
    subscribe(company, account=account, frequency=["daily"], created=at(NEW_YORK, 2026, 3, 10, 9))
    assert summary_emails_send(now=at(NEW_YORK, 2026, 3, 10, 10)) == 0
    assert summary_emails_send(now=at(NEW_YORK, 2026, 3, 11, 6, 7)) == 1


def test_the_content_covers_the_local_day_with_the_chosen_sections(account, company, tracker):
    subscribe(company, account=account, frequency=["daily"], lead_status_filter="All")
    inside = [
        complete_call(make_call(tracker, start_time=at(NEW_YORK, 2026, 3, 9, 0, 30), keywords="plumber")),
        complete_call(make_call(tracker, start_time=at(NEW_YORK, 2026, 3, 9, 23, 30)), answered=False, duration=0),
    ]
    complete_call(make_call(tracker, start_time=at(NEW_YORK, 2026, 3, 8, 23, 59)))  # the day before
    complete_call(make_call(tracker, start_time=at(NEW_YORK, 2026, 3, 9, 12), spam=True))
    summary_emails_send(now=at(NEW_YORK, 2026, 3, 10, 6, 7))
    body = mail.outbox[0].body
    assert "Total calls:         2" in body
    assert "Answered:            1" in body and "Missed:              1" in body
    assert "Google Ads" in body and "plumber" in body
    assert body.count("Kaylah Mills") == len(inside)


def test_lead_filter_and_sections(account, company, tracker):
    subscribe(
        company,
        account=account,
        frequency=["daily"],
        lead_status_filter="Lead",
        config={"summary_statistics": True},
    )
    complete_call(make_call(tracker, start_time=at(NEW_YORK, 2026, 3, 9, 10)), lead_status="good_lead")
    complete_call(make_call(tracker, start_time=at(NEW_YORK, 2026, 3, 9, 11)))
    summary_emails_send(now=at(NEW_YORK, 2026, 3, 10, 6, 7))
    body = mail.outbox[0].body
    assert "Total calls:         1" in body and "Calls shown: Lead" in body
    assert "Top sources" not in body and "Call log" not in body


def test_account_summaries_use_the_account_zone_and_the_users_companies(account, company, tracker):
    other = Company.objects.create(account=account, name="Hidden")
    reporter = User.objects.create_user(email="reporter@example.com", account=account, role="reporting")
    reporter.companies.add(company)
    subscribe(account=account, frequency=["daily"], user=reporter, email="")
    complete_call(make_call(tracker, start_time=at(NEW_YORK, 2026, 3, 9, 10)))
    hidden_tracker = tracker.__class__.objects.create(
        account=account, company=other, name="Hidden", type="source", call_flow=tracker.call_flow, source={}
    )
    complete_call(make_call(hidden_tracker, start_time=at(NEW_YORK, 2026, 3, 9, 10), customer_name="Secret"))
    summary_emails_send(now=at(NEW_YORK, 2026, 3, 10, 6, 7))
    (message,) = mail.outbox
    assert message.to == ["reporter@example.com"]
    assert "Alice Agency" in message.subject
    assert "Total calls:         1" in message.body and "Secret" not in message.body


def test_inactive_users_get_nothing(account, company, admin_user):
    subscribe(company, account=account, frequency=["daily"], user=admin_user, email="")
    admin_user.is_active = False
    admin_user.save()
    assert summary_emails_send(now=at(NEW_YORK, 2026, 3, 10, 6, 7)) == 0


def test_the_beat_task_runs_hourly(account, company):
    entry = app.conf.beat_schedule["summary-emails-send"]
    assert entry["task"] == "api.tasks.summary_emails_send"
    assert entry["schedule"].minute == {7} and len(entry["schedule"].hour) == 24
    assert app.conf.beat_schedule["webhook-outbox-sweep"]["task"] == "api.tasks.webhook_outbox_sweep"


def test_one_broken_subscription_does_not_stop_the_others(account, company):
    broken = Company.objects.create(account=account, name="Broken", time_zone="Mars/Olympus_Mons")
    subscribe(broken, account=account, frequency=["daily"], email="broken@example.com")
    subscribe(company, account=account, frequency=["daily"], email="fine@example.com")
    assert summary_emails_send(now=at(NEW_YORK, 2026, 3, 10, 6, 7)) == 1
    assert mail.outbox[0].to == ["fine@example.com"]
