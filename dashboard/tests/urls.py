"""The project's URLs plus a page that only editors may change, to test the role wall."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.generic import TemplateView

from callrail.urls import handler404, handler500  # noqa: F401 - the project's error pages
from callrail.urls import urlpatterns as project_urlpatterns
from dashboard.access import EditorRequiredMixin, dashboard_view, editor_required


class EditorOnlyView(EditorRequiredMixin, TemplateView):
    template_name = "dashboard/base.html"

    def post(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse(f"saved for {self.scope.company.name if self.scope.company else 'all'}")


@dashboard_view
@editor_required
def editor_only_function(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"saved by {request.scope.user.email}")  # type: ignore[attr-defined]


urlpatterns = [
    path("test/editor-only/", EditorOnlyView.as_view(), name="test-editor-only"),
    path("test/editor-only-function/", editor_only_function, name="test-editor-only-function"),
    *project_urlpatterns,
]
