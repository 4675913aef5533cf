from django.urls import path

from dashboard.views import auth, call_flows, company_settings, install, numbers, pages, tracker_wizard

app_name = "dashboard"

urlpatterns = [
    path("", pages.OverviewView.as_view(), name="overview"),
    path("live/", pages.LiveView.as_view(), name="live"),
    path("calls/", pages.CallsView.as_view(), name="calls"),
    path("forms/", pages.FormsView.as_view(), name="forms"),
    path("texts/", pages.TextsView.as_view(), name="texts"),
    path("reports/", pages.ReportsView.as_view(), name="reports"),
    path("numbers/", numbers.NumbersView.as_view(), name="numbers"),
    path("numbers/new/", tracker_wizard.TrackerWizardView.as_view(), name="tracker-new"),
    path("numbers/<str:tracker_id>/disable/", numbers.TrackerDisableView.as_view(), name="tracker-disable"),
    path("numbers/<str:tracker_id>/replace/", numbers.NumberReplaceView.as_view(), name="number-replace"),
    path("numbers/<str:tracker_id>/pool/", numbers.PoolView.as_view(), name="pool"),
    path("numbers/<str:tracker_id>/pool/live/", numbers.pool_live, name="pool-live"),
    path("numbers/<str:tracker_id>/pool/resize/", numbers.PoolResizeView.as_view(), name="pool-resize"),
    path("call-flows/", call_flows.CallFlowsView.as_view(), name="call-flows"),
    path("call-flows/new/", call_flows.CallFlowNewView.as_view(), name="call-flow-new"),
    path("call-flows/<uuid:flow_id>/", call_flows.CallFlowView.as_view(), name="call-flow"),
    path("call-flows/<uuid:flow_id>/test/", call_flows.CallFlowTestView.as_view(), name="call-flow-test"),
    path("call-flows/<uuid:flow_id>/use/", call_flows.CallFlowUseView.as_view(), name="call-flow-use"),
    path("call-flows/<uuid:flow_id>/delete/", call_flows.CallFlowDeleteView.as_view(), name="call-flow-delete"),
    path("install/", install.InstallView.as_view(), name="install"),
    path("settings/", company_settings.SettingsView.as_view(), name="settings"),
    path(
        "settings/trackers/<str:tracker_id>/",
        company_settings.TrackerSettingsView.as_view(),
        name="tracker-settings",
    ),
    path("sign-in/", auth.SignInView.as_view(), name="sign-in"),
    path("sign-out/", auth.SignOutView.as_view(), name="sign-out"),
    path("password-reset/", auth.PasswordResetView.as_view(), name="password-reset"),
    path("password-reset/sent/", auth.PasswordResetSentView.as_view(), name="password-reset-sent"),
    path("password-reset/<uidb64>/<token>/", auth.PasswordResetConfirmView.as_view(), name="password-reset-confirm"),
]
