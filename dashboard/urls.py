from django.urls import path

from dashboard.views import auth, call_detail, calls, forms, live, overview, reports, texts

app_name = "dashboard"

urlpatterns = [
    path("", overview.OverviewView.as_view(), name="overview"),
    path("live/", live.LiveView.as_view(), name="live"),
    path("live/feed/", live.live_feed, name="live-feed"),
    path("calls/", calls.CallsView.as_view(), name="calls"),
    path("calls/export.csv", calls.CallsExportView.as_view(), name="calls-export"),
    path("calls/<str:call_id>/", call_detail.call_detail, name="call-detail"),
    path("calls/<str:call_id>/<slug:action>/", call_detail.call_action, name="call-action"),
    path("forms/", forms.FormsView.as_view(), name="forms"),
    path("forms/<str:submission_id>/", forms.form_submission_detail, name="form-submission"),
    path("texts/", texts.TextsView.as_view(), name="texts"),
    path("texts/<str:conversation_id>/", texts.conversation_detail, name="text-conversation"),
    path("reports/", reports.ReportsView.as_view(), name="reports"),
    path("reports/<slug:slug>/", reports.ReportView.as_view(), name="report"),
    path("reports/<slug:slug>/export.csv", reports.ReportExportView.as_view(), name="report-export"),
    path("sign-in/", auth.SignInView.as_view(), name="sign-in"),
    path("sign-out/", auth.SignOutView.as_view(), name="sign-out"),
    path("password-reset/", auth.PasswordResetView.as_view(), name="password-reset"),
    path("password-reset/sent/", auth.PasswordResetSentView.as_view(), name="password-reset-sent"),
    path("password-reset/<uidb64>/<token>/", auth.PasswordResetConfirmView.as_view(), name="password-reset-confirm"),
]
