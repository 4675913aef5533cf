"""The routes of the endpoints swap.js calls on every page view of every customer's site.

Included in the site's URLconf by ``tracking.urls``, and resolved on their own by
``tracking.middleware.DniFastPath`` without walking the whole URLconf.
"""

from django.urls import path

from tracking import dni

urlpatterns = [
    path("dni/<str:company_id>/session", dni.session, name="dni-session"),
    path("dni/<str:company_id>/heartbeat", dni.heartbeat, name="dni-heartbeat"),
    path("dni/<str:company_id>/form", dni.form, name="dni-form"),
    path("dni/<str:company_id>/click", dni.click, name="dni-click"),
]
