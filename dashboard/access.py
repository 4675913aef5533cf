"""Who may see which dashboard page, and for which company.

Every page goes through ``scope_resolve``: signed in, a user of an account (platform
operators without one are sent to /admin/), and the company in the URL one the user can
see, or else 404 (never 403: that would confirm another account's company exists). Pages
that change things require an editor (admins and managers) for any unsafe method: a
reporting user's POST gets 403.

Class-based pages use ``DashboardMixin`` (and ``EditorRequiredMixin``); function views use
``@dashboard_view`` (and ``@editor_required`` beneath it). Both give the page a ``Scope``.
Pages only some roles may open at all (reading included) set ``DashboardMixin.roles``: the
account's users and settings are for admins, its integrations for admins and managers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.functional import cached_property

from accounts.models import Account, Company, User
from callrail.dates import DateWindow
from dashboard.shell import shell_context
from dashboard.state import DashboardState

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Scope:
    """What a dashboard request is about: who asks, which companies, which period."""

    user: User
    companies: tuple[Company, ...]  # every company the user can see, by name
    company: Company | None  # the one picked in the URL; None: all of ``companies``
    state: DashboardState
    window: DateWindow
    notices: tuple[str, ...]

    @property
    def account(self) -> Account:
        return self.user.account

    @property
    def can_edit(self) -> bool:
        return self.user.can_edit

    @property
    def many_companies(self) -> bool:
        """The user sees more than one company: the switcher offers "All companies"."""
        return len(self.companies) > 1

    @property
    def selected_companies(self) -> tuple[Company, ...]:
        """The companies the page's figures cover."""
        return (self.company,) if self.company else self.companies

    @property
    def company_ids(self) -> list[int]:
        """Primary keys for ``company_id__in=`` filters in the domain apps' selectors."""
        return [company.pk for company in self.selected_companies]

    @property
    def time_zone(self) -> str:
        return self.window.tz_name

    @cached_property
    def previous_window(self) -> DateWindow | None:
        """The comparison period when the URL asks for one."""
        return self.window.previous() if self.state.compare else None


def home_url(user: User) -> str:
    """Where a signed-in user belongs: the dashboard, or /admin/ for an operator without an account."""
    if getattr(user, "account_id", None) is None:
        return reverse("admin:index")
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def scope_resolve(request: HttpRequest) -> Scope:
    """The ``Scope`` of a signed-in account user's request; 404 for a company they cannot see."""
    user: User = request.user  # type: ignore[assignment]
    state = DashboardState.from_query(request.GET)
    companies = tuple(user.visible_companies().order_by("name", "pk"))
    if state.company:
        company = next((item for item in companies if item.public_id == state.company), None)
        if company is None:
            raise Http404("No such company.")
    else:
        # With one company there is nothing to choose; with several the default is all of them.
        company = companies[0] if len(companies) == 1 else None
    # A company's figures follow its own time zone; all companies together follow the user's.
    tz_name = company.time_zone if company else user.effective_time_zone
    window, problem = state.window(tz_name)
    notices = (*state.notices, problem) if problem else state.notices
    return Scope(user=user, companies=companies, company=company, state=state, window=window, notices=notices)


def _gate(request: HttpRequest) -> HttpResponse | None:
    """The answer for a request that may not reach a page at all (sign in first, or /admin/)."""
    if not request.user.is_authenticated:
        path = request.get_full_path()
        if path == "/":
            return HttpResponseRedirect(resolve_url(settings.LOGIN_URL))
        return redirect_to_login(path)
    if getattr(request.user, "account_id", None) is None:
        return HttpResponseRedirect(home_url(request.user))  # type: ignore[arg-type]
    if not request.user.can_sign_in:
        # A notification-only contact has no dashboard, even with a session made earlier.
        logout(request)
        return HttpResponseRedirect(resolve_url(settings.LOGIN_URL))
    return None


def _check_editor(request: HttpRequest, scope: Scope) -> None:
    if request.method not in SAFE_METHODS and not scope.can_edit:
        raise PermissionDenied("Reporting users cannot change anything.")


ADMINS: tuple[str, ...] = (User.Role.ADMIN,)
EDITORS: tuple[str, ...] = (User.Role.ADMIN, User.Role.MANAGER)


def _check_role(scope: Scope, roles: tuple[str, ...] | None) -> None:
    if roles is not None and scope.user.role not in roles:
        raise PermissionDenied("Your role cannot open this page.")


class DashboardMixin:
    """For class-based dashboard pages: sets ``self.scope`` and puts ``scope`` and ``state``
    in the template context."""

    request: HttpRequest
    scope: Scope
    editor_required = False
    # The roles that may open the page at all (any method); None: every role.
    roles: tuple[str, ...] | None = None
    # The navigation entry (its label) the page lights up.
    nav = ""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refused = _gate(request)
        if refused is not None:
            return refused
        self.scope = scope_resolve(request)
        _check_role(self.scope, self.roles)
        if self.editor_required:
            _check_editor(request, self.scope)
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # type: ignore[misc]
        context.update(shell_context(self.scope, current=self.nav))
        return context


class EditorRequiredMixin(DashboardMixin):
    """A dashboard page that changes things: unsafe methods need an admin or a manager (403)."""

    editor_required = True


class AdminRequiredMixin(DashboardMixin):
    """A page of the account's administration (users, settings, audit log): admins only, 403
    for anyone else, whatever the method."""

    roles = ADMINS


ViewFunc = Callable[..., HttpResponse]


def dashboard_view(view: ViewFunc) -> ViewFunc:
    """For function dashboard views: the same gate as ``DashboardMixin``; the view finds its
    ``Scope`` in ``request.scope``."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refused = _gate(request)
        if refused is not None:
            return refused
        request.scope = scope_resolve(request)  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def editor_required(view: ViewFunc) -> ViewFunc:
    """Under ``@dashboard_view``: unsafe methods need an admin or a manager (403)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        scope = getattr(request, "scope", None)
        if scope is None:
            raise TypeError("@editor_required goes beneath @dashboard_view.")
        _check_editor(request, scope)
        return view(request, *args, **kwargs)

    return wrapper
