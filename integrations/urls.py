from django.urls import path

from integrations import views

urlpatterns = [
    path("google-ads/<str:company_id>/<str:token>.csv", views.google_ads_feed, name="google-ads-feed"),
]
