from django.urls import path

from dashboard.views import auth, call_detail, calls, overview, pages, reports

app_name = "dashboard"

urlpatterns = [
    path("", overview.OverviewView.as_view(), name="overview"),
    path("live/", pages.LiveView.as_view(), name="live"),
    path("calls/", calls.CallsView.as_view(), name="calls"),
    path("calls/export.csv", calls.CallsExportView.as_view(), name="calls-export"),
    path("calls/<str:call_id>/", call_detail.call_detail, name="call-detail"),
    path("calls/<str:call_id>/<slug:action>/", call_detail.call_action, name="call-action"),
    path("forms/", pages.FormsView.as_view(), name="forms"),
    path("texts/", pages.TextsView.as_view(), name="texts"),
    path("reports/", reports.ReportsView.as_view(), name="reports"),
    path("reports/<slug:slug>/", reports.ReportView.as_view(), name="report"),
    path("reports/<slug:slug>/export.csv", reports.ReportExportView.as_view(), name="report-export"),
    path("sign-in/", auth.SignInView.as_view(), name="sign-in"),
    path("sign-out/", auth.SignOutView.as_view(), name="sign-out"),
    path("password-reset/", auth.PasswordResetView.as_view(), name="password-reset"),
    path("password-reset/sent/", auth.PasswordResetSentView.as_view(), name="password-reset-sent"),
    path("password-reset/<uidb64>/<token>/", auth.PasswordResetConfirmView.as_view(), name="password-reset-confirm"),
]
