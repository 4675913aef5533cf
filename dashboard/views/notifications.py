"""Email alerts (calls, texts, forms) and summary emails: the API's notification and summary
email objects, written through the same services. Everyone manages their own; an admin also
manages another person's (``?user=USR…``), such as a notification-only contact, who never
signs in."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.functional import cached_property

from accounts.models import Company, User
from dashboard.account_forms import ALERT_TYPE_LABELS, SECTION_LABELS, AlertForm, SummaryEmailForm
from dashboard.views.account_base import AccountPage
from integrations.models import Notification, SummaryEmail
from integrations.services import (
    AlertRuleError,
    notification_create,
    notification_delete,
    notification_update,
    summary_email_create,
    summary_email_delete,
    summary_email_update,
)
from tracking.models import Tracker


class NotificationsMixin:
    scope: Any
    kwargs: dict[str, Any]

    @cached_property
    def recipient(self) -> User:
        """Whose alerts the page manages: the signed-in user's own, or another user's of the
        account for an admin (403 for anyone else, as the API answers)."""
        wanted = self.scope.state.get("user")
        if not wanted or wanted == self.scope.user.public_id:
            return self.scope.user
        if not self.scope.user.is_admin:
            raise PermissionDenied("Only administrators manage other people's alerts.")
        user = User.objects.filter(account=self.scope.account, public_id=wanted, is_active=True).first()
        if user is None:
            raise Http404("No such user.")
        return user

    @property
    def for_someone_else(self) -> bool:
        return self.recipient.pk != self.scope.user.pk

    @property
    def all_label(self) -> str:
        return "All their companies" if self.for_someone_else else "All my companies"

    def with_recipient(self, url: str) -> str:
        return f"{url}?user={self.recipient.public_id}" if self.for_someone_else else url

    @cached_property
    def companies(self) -> tuple[Company, ...]:
        """The companies the recipient hears about: those they can see."""
        return tuple(self.recipient.visible_companies().filter(status=Company.Status.ACTIVE).order_by("name", "pk"))

    def alerts(self) -> QuerySet[Notification]:
        return Notification.objects.filter(account=self.scope.account, user=self.recipient).select_related("company")

    def summaries(self) -> QuerySet[SummaryEmail]:
        return SummaryEmail.objects.filter(account=self.scope.account, user=self.recipient).select_related("company")

    def trackers(self) -> list[tuple[str, str]]:
        trackers = Tracker.objects.filter(company__in=self.companies)
        many = len(self.companies) > 1
        return [
            (tracker.public_id, f"{tracker.name} ({tracker.company.name})" if many else tracker.name)
            for tracker in trackers.select_related("company").order_by("company__name", "name")
        ]

    def recipient_context(self) -> dict[str, Any]:
        return {
            "recipient": self.recipient,
            "for_someone_else": self.for_someone_else,
            "page_url": self.with_recipient(reverse("dashboard:notifications")),
            "user_query": f"?user={self.recipient.public_id}" if self.for_someone_else else "",
            "all_label": self.all_label,
        }

    def alert_form(self, data: Any = None, alert: Notification | None = None) -> AlertForm:
        initial = {}
        if alert is not None:
            initial = {
                "company": alert.company.public_id if alert.company else "",
                "tracker": alert.tracker_public_id,
                "call_enabled": alert.call_enabled,
                "alert_type": alert.alert_type,
                "sms_enabled": alert.sms_enabled,
            }
        return AlertForm(
            data, initial=initial, companies=self.companies, trackers=self.trackers(), all_label=self.all_label
        )

    def summary_form(self, data: Any = None, summary: SummaryEmail | None = None) -> SummaryEmailForm:
        initial: dict[str, Any] = {}
        if summary is not None:
            initial = {
                "company": summary.company.public_id if summary.company else "",
                "frequency": summary.frequency,
                "sections": [key for key, on in (summary.config or {}).items() if on],
            }
        form = SummaryEmailForm(data, initial=initial, companies=self.companies, all_label=self.all_label)
        if summary is not None:
            # What a summary is about stays; another company is another summary.
            form.fields["company"].disabled = True
        return form


def alert_values(data: dict[str, Any]) -> dict[str, Any]:
    """The notification settings of a valid ``AlertForm`` (email is the one channel here)."""
    return {
        "company": data["company_obj"],
        "tracker_public_id": data.get("tracker") or "",
        "call_enabled": bool(data.get("call_enabled")),
        "alert_type": data.get("alert_type") or Notification.AlertType.ALL,
        "sms_enabled": bool(data.get("sms_enabled")),
        "send_email": True,
    }


class NotificationsView(NotificationsMixin, AccountPage):
    template_name = "dashboard/account/notifications.html"
    title = "Notifications"
    lead = "Emails about your calls, texts and forms as they happen, and summaries of your numbers."

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        trackers = dict(self.trackers())
        alerts = list(self.alerts())
        for alert in alerts:
            alert.tracker_name = trackers.get(alert.tracker_public_id, "")  # type: ignore[attr-defined]
        if self.for_someone_else:
            self.lead = f"The alerts and summary emails {self.recipient.name or self.recipient.email} receives."
        return {
            **super().get_context_data(**kwargs),
            **self.recipient_context(),
            "alerts": alerts,
            "summaries": self.summaries(),
            "alert_form": kwargs.get("alert_form") or self.alert_form(),
            "summary_form": kwargs.get("summary_form") or self.summary_form(),
            "alert_types": ALERT_TYPE_LABELS,
            "sections": SECTION_LABELS,
        }

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.POST.get("form") == "summary":
            summary_form = self.summary_form(request.POST)
            if not summary_form.is_valid():
                return self.render_to_response(self.get_context_data(summary_form=summary_form))
            data = summary_form.cleaned_data
            summary_email_create(
                account=self.scope.account,
                user=self.recipient,
                company=data["company_obj"],
                frequency=data["frequency"],
                config={section: True for section in data["sections"]},
            )
            messages.success(request, "Summary email added.")
        else:
            alert_form = self.alert_form(request.POST)
            if not alert_form.is_valid():
                return self.render_to_response(self.get_context_data(alert_form=alert_form))
            try:
                notification_create(
                    account=self.scope.account, user=self.recipient, values=alert_values(alert_form.cleaned_data)
                )
            except AlertRuleError as exc:
                alert_form.add_error(None, str(exc))
                return self.render_to_response(self.get_context_data(alert_form=alert_form))
            messages.success(request, "Alert added.")
        return HttpResponseRedirect(self.with_recipient(reverse("dashboard:notifications")))


class AlertView(NotificationsMixin, AccountPage):
    template_name = "dashboard/account/notification_edit.html"
    title = "Edit an alert"
    nav = "Notifications"

    def get_alert(self) -> Notification:
        alert = self.alerts().filter(numeric_id=self.kwargs["alert_id"]).first()
        if alert is None:
            raise Http404("No such alert.")
        return alert

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        alert = self.get_alert()
        return {
            **super().get_context_data(**kwargs),
            **self.recipient_context(),
            "form": kwargs.get("form") or self.alert_form(alert=alert),
            "kind": "alert",
            "delete_url": self.with_recipient(
                reverse("dashboard:notification-alert-delete", kwargs={"alert_id": alert.numeric_id})
            ),
        }

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        alert = self.get_alert()
        form = self.alert_form(request.POST)
        if form.is_valid():
            try:
                notification_update(notification=alert, values=alert_values(form.cleaned_data))
            except AlertRuleError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Alert saved.")
                return HttpResponseRedirect(self.with_recipient(reverse("dashboard:notifications")))
        return self.render_to_response(self.get_context_data(form=form))


class AlertDeleteView(AlertView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        notification_delete(notification=self.get_alert())
        messages.success(request, "Alert removed.")
        return HttpResponseRedirect(self.with_recipient(reverse("dashboard:notifications")))


class SummaryView(NotificationsMixin, AccountPage):
    template_name = "dashboard/account/notification_edit.html"
    title = "Edit a summary email"
    nav = "Notifications"

    def get_summary(self) -> SummaryEmail:
        summary = self.summaries().filter(public_id=self.kwargs["summary_id"]).first()
        if summary is None:
            raise Http404("No such summary email.")
        return summary

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        summary = self.get_summary()
        return {
            **super().get_context_data(**kwargs),
            **self.recipient_context(),
            "form": kwargs.get("form") or self.summary_form(summary=summary),
            "kind": "summary",
            "delete_url": self.with_recipient(
                reverse("dashboard:notification-summary-delete", kwargs={"summary_id": summary.public_id})
            ),
        }

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        summary = self.get_summary()
        form = self.summary_form(request.POST, summary=summary)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        summary_email_update(
            summary_email=summary,
            frequency=form.cleaned_data["frequency"],
            config={section: section in form.cleaned_data["sections"] for section in SECTION_LABELS},
        )
        messages.success(request, "Summary email saved.")
        return HttpResponseRedirect(self.with_recipient(reverse("dashboard:notifications")))


class SummaryDeleteView(SummaryView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        summary_email_delete(summary_email=self.get_summary())
        messages.success(request, "Summary email removed.")
        return HttpResponseRedirect(self.with_recipient(reverse("dashboard:notifications")))
