from django.urls import path

from dashboard.views import (
    account_settings,
    api_keys,
    audit_log,
    auth,
    integrations,
    notifications,
    pages,
    profile,
    users,
)

app_name = "dashboard"

urlpatterns = [
    path("", pages.OverviewView.as_view(), name="overview"),
    path("live/", pages.LiveView.as_view(), name="live"),
    path("calls/", pages.CallsView.as_view(), name="calls"),
    path("forms/", pages.FormsView.as_view(), name="forms"),
    path("texts/", pages.TextsView.as_view(), name="texts"),
    path("reports/", pages.ReportsView.as_view(), name="reports"),
    # The account: its people, keys, integrations, alerts, settings and audit log.
    path("users/", users.UsersView.as_view(), name="users"),
    path("users/invite/", users.InviteView.as_view(), name="user-invite"),
    path("users/<str:user_id>/", users.UserView.as_view(), name="user"),
    path("users/<str:user_id>/resend/", users.UserInvitationResendView.as_view(), name="user-resend"),
    path("users/<str:user_id>/cancel/", users.UserInvitationCancelView.as_view(), name="user-cancel"),
    path("users/<str:user_id>/deactivate/", users.UserDeactivateView.as_view(), name="user-deactivate"),
    path("users/<str:user_id>/reactivate/", users.UserReactivateView.as_view(), name="user-reactivate"),
    path("profile/", profile.ProfileView.as_view(), name="profile"),
    path("api-keys/", api_keys.ApiKeysView.as_view(), name="api-keys"),
    path("api-keys/new/", api_keys.ApiKeyCreateView.as_view(), name="api-key-new"),
    path("api-keys/<str:key_id>/revoke/", api_keys.ApiKeyRevokeView.as_view(), name="api-key-revoke"),
    path("integrations/", integrations.IntegrationsView.as_view(), name="integrations"),
    path("integrations/state/", integrations.IntegrationStateView.as_view(), name="integration-state"),
    path("integrations/test-event/", integrations.TestEventView.as_view(), name="webhook-test-event"),
    path("integrations/signing-key/", integrations.SigningKeyView.as_view(), name="signing-key"),
    path("integrations/signing-key/rotate/", integrations.SigningKeyRotateView.as_view(), name="signing-key-rotate"),
    path("integrations/deliveries/", integrations.DeliveriesView.as_view(), name="webhook-deliveries"),
    path("integrations/deliveries/<uuid:event_id>/", integrations.DeliveryView.as_view(), name="webhook-delivery"),
    path(
        "integrations/deliveries/<uuid:event_id>/redeliver/",
        integrations.RedeliverView.as_view(),
        name="webhook-redeliver",
    ),
    path("notifications/", notifications.NotificationsView.as_view(), name="notifications"),
    path("notifications/alerts/<int:alert_id>/", notifications.AlertView.as_view(), name="notification-alert"),
    path(
        "notifications/alerts/<int:alert_id>/delete/",
        notifications.AlertDeleteView.as_view(),
        name="notification-alert-delete",
    ),
    path("notifications/summaries/<str:summary_id>/", notifications.SummaryView.as_view(), name="notification-summary"),
    path(
        "notifications/summaries/<str:summary_id>/delete/",
        notifications.SummaryDeleteView.as_view(),
        name="notification-summary-delete",
    ),
    path("account-settings/", account_settings.AccountSettingsView.as_view(), name="account-settings"),
    path("audit-log/", audit_log.AuditLogView.as_view(), name="audit-log"),
    path("sign-in/", auth.SignInView.as_view(), name="sign-in"),
    path("sign-out/", auth.SignOutView.as_view(), name="sign-out"),
    path("password-reset/", auth.PasswordResetView.as_view(), name="password-reset"),
    path("password-reset/sent/", auth.PasswordResetSentView.as_view(), name="password-reset-sent"),
    path("password-reset/<uidb64>/<token>/", auth.PasswordResetConfirmView.as_view(), name="password-reset-confirm"),
]
