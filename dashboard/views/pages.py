"""The dashboard's reading pages. Each is the shell (navigation, company, period) around
its own content."""

from typing import Any

from django.views.generic import TemplateView

from dashboard.access import DashboardMixin


class PageView(DashboardMixin, TemplateView):
    """A dashboard page: ``title`` is its heading and, unless ``nav`` says otherwise, the
    navigation entry it lights up."""

    title = ""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        self.nav = self.nav or self.title
        return {**super().get_context_data(**kwargs), "title": self.title}
