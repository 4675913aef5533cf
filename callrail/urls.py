from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularRedocView

from callrail import views
from telephony import recording_media

urlpatterns = [
    path("", include("dashboard.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("telephony/caller-ids/", include("telephony.caller_ids")),
    path("v3/openapi.json", SpectacularJSONAPIView.as_view(), name="openapi"),
    path("v3/docs", SpectacularRedocView.as_view(url_name="openapi"), name="api-docs"),
    path("v3/", include("api.v3.urls")),
    # Recordings and voicemails, opened by signed expiring links (telephony.recording_links);
    # the paths are the reference's ``recording_player`` and recording ``url`` shapes.
    path("calls/<str:call_id>/recording/redirect", recording_media.recording_audio, name="recording-audio"),
    path("calls/<str:call_id>/recording", recording_media.recording_player, name="recording-player"),
    path("telephony/", include("telephony.urls")),
    path("conversions/", include("integrations.urls")),
    path("", include("tracking.urls")),
]

# Under /v3/ unknown paths and crashes answer JSON; elsewhere Django's own pages.
handler404 = "api.v3.views.errors.not_found"
handler500 = "api.v3.views.errors.server_error"
