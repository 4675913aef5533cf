"""CallRail's v3 paths. Resource viewsets register on the router; only ``.json``
paths exist (an unsuffixed or ``.xml`` path is a 404, never a redirect).

The last pattern catches every other path under ``/v3/``: clients parse every API
answer as JSON, and Django's own 404 (its HTML debug page when ``DEBUG`` is on) is
never reached from here."""

from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter
from rest_framework.urlpatterns import format_suffix_patterns

from api.v3.views.accounts import AccountDetailView, AccountListView
from api.v3.views.caller_ids import CallerIdViewSet
from api.v3.views.calls import CallViewSet
from api.v3.views.companies import CompanyViewSet
from api.v3.views.erasures import ErasureViewSet
from api.v3.views.errors import unknown_path
from api.v3.views.form_submissions import FormSubmissionViewSet, FormSummaryViewSet
from api.v3.views.integrations import IntegrationTriggerViewSet, IntegrationViewSet
from api.v3.views.leads import LeadViewSet
from api.v3.views.notifications import NotificationViewSet
from api.v3.views.sms_threads import SmsThreadViewSet
from api.v3.views.summary_emails import SummaryEmailViewSet
from api.v3.views.tags import TagViewSet
from api.v3.views.text_messages import TextMessageViewSet
from api.v3.views.trackers import TrackerViewSet
from api.v3.views.users import UserViewSet
from api.v3.views.webhooks import WebhookDeliveryViewSet, WebhookEventViewSet, WebhookSigningKeyViewSet

router = SimpleRouter(trailing_slash=False)
router.register("companies", CompanyViewSet, basename="company")
router.register("tags", TagViewSet, basename="tag")
router.register("users", UserViewSet, basename="user")
router.register("integrations", IntegrationViewSet, basename="integration")
router.register("integration_triggers", IntegrationTriggerViewSet, basename="integration-trigger")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("summary_emails", SummaryEmailViewSet, basename="summary-email")
router.register("caller_ids", CallerIdViewSet, basename="caller-id")
router.register("calls", CallViewSet, basename="call")
router.register("trackers", TrackerViewSet, basename="tracker")
router.register("webhook_events", WebhookEventViewSet, basename="webhook-event")
router.register("webhook_deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")
router.register("webhook_signing_keys", WebhookSigningKeyViewSet, basename="webhook-signing-key")
router.register("form_submissions", FormSubmissionViewSet, basename="form-submission")
router.register("text-messages", TextMessageViewSet, basename="text-message")
router.register("sms-threads", SmsThreadViewSet, basename="sms-thread")
router.register("leads", LeadViewSet, basename="lead")
router.register("erasures", ErasureViewSet, basename="erasure")

account_urls = format_suffix_patterns(router.urls, suffix_required=True, allowed=["json"])

urlpatterns = [
    re_path(r"^a\.json$", AccountListView.as_view(), name="account-list"),
    re_path(r"^a/(?P<account_id>[^/.]+)\.json$", AccountDetailView.as_view(), name="account-detail"),
    re_path(
        r"^a/(?P<account_id>[^/.]+)/forms/summary\.json$",
        FormSummaryViewSet.as_view({"get": "summary"}),
        name="form-summary",
    ),
    path("a/<str:account_id>/", include(account_urls)),
    re_path(r"", unknown_path, name="unknown-path"),
]
