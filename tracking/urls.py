from django.conf import settings
from django.urls import path

from tracking import demo, dni

app_name = "tracking"

urlpatterns = [
    path("dni/<str:company_id>/session", dni.session, name="dni-session"),
    path("dni/<str:company_id>/heartbeat", dni.heartbeat, name="dni-heartbeat"),
    path("dni/<str:company_id>/form", dni.form, name="dni-form"),
    path("companies/<str:company_id>/swap.js", dni.swap_js, name="swap-js"),
    # CallRail's script_url shape: //host/companies/<id>/<script token>/12/swap.js
    path("companies/<str:company_id>/<str:token>/12/swap.js", dni.swap_js, name="swap-js-token"),
    path("demo/", demo.demo_page, name="demo"),
]

if settings.DNI_BENCH_BASELINE:
    urlpatterns.append(path("dni/_baseline", dni.baseline, name="dni-baseline"))
