from django.conf import settings
from django.urls import path

from tracking import demo, dni, dni_routes

app_name = "tracking"

urlpatterns = [
    *dni_routes.urlpatterns,
    path("companies/<str:company_id>/swap.js", dni.swap_js, name="swap-js"),
    # CallRail's script_url shape: //host/companies/<id>/<script token>/12/swap.js
    path("companies/<str:company_id>/<str:token>/12/swap.js", dni.swap_js, name="swap-js-token"),
    path("demo/", demo.demo_page, name="demo"),
]

if settings.DNI_BENCH_BASELINE:
    urlpatterns.append(path("dni/_baseline", dni.baseline, name="dni-baseline"))
