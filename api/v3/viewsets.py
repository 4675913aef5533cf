"""The shared base of every v3 resource: account scoping, roles, sorting, paging,
field selection and rate limits.

A resource viewset only declares its queryset, serializer, filters, sort fields
and (when they differ from the defaults) roles and extra rate limits; the rules
here are written once and tested once::

    class CompanyViewSet(ListModelMixin, RetrieveModelMixin, V3ViewSet):
        resource_name = "companies"
        id_prefix = "COM"
        queryset = Company.objects.all()
        serializer_class = CompanySerializer
        filterset_class = CompanyFilterSet
        sort_fields = {"name": "name", "created_at": "-created_at"}
        action_roles = {"create": ADMIN_ONLY, "destroy": ADMIN_ONLY}
"""

from typing import Any, ClassVar

from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.viewsets import GenericViewSet

from accounts.fields import parse_public_or_numeric
from accounts.models import Account, Company, User
from api.v3.filters import TRUE_VALUES
from api.v3.pagination import RelativePagination
from api.v3.serializers.base import requested_fields
from api.v3.throttling import AccountRateThrottle

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

# Role sets for ``write_roles`` / ``action_roles`` (reference "User Roles").
ALL_ROLES: tuple[str, ...] = (User.Role.ADMIN, User.Role.MANAGER, User.Role.REPORTING)
ADMIN_AND_MANAGER: tuple[str, ...] = (User.Role.ADMIN, User.Role.MANAGER)
ADMIN_ONLY: tuple[str, ...] = (User.Role.ADMIN,)


def resolve_account(request: Request, account_id: str) -> Account:
    """The URL's account, if the API key belongs to it; otherwise 404.

    Another tenant's account is indistinguishable from a missing one.
    """
    api_key = request.auth
    lookup = parse_public_or_numeric(account_id, "ACC")
    if lookup is None or api_key is None:
        raise exceptions.NotFound()
    account = api_key.account
    if any(getattr(account, field) != value for field, value in lookup.items()):
        raise exceptions.NotFound()
    return account


def company_for_user(user: User, value: Any, *, include_disabled: bool = True) -> Company:
    """The company ``value`` (``COM…`` or numeric id) if ``user`` may see it; otherwise 404.

    Companies of other accounts, and companies a manager/reporting user was not
    given access to, look exactly like missing ones.
    """
    lookup = parse_public_or_numeric(value, "COM") if value not in (None, "") else None
    if lookup is None:
        raise exceptions.NotFound("Company not found")
    companies = user.visible_companies()
    if not include_disabled:
        companies = companies.filter(status=Company.Status.ACTIVE)
    company = companies.filter(**lookup).first()
    if company is None:
        raise exceptions.NotFound("Company not found")
    return company


def _has_field(model: type[Model], name: str) -> bool:
    try:
        model._meta.get_field(name)
    except Exception:
        return False
    return True


def _keyset_ordered(queryset: QuerySet) -> bool:
    """Relative pages need a (key, id) order (``RelativePagination``)."""
    order = list(queryset.query.order_by)
    return len(order) == 2 and order[1].lstrip("-") == "id"


class V3ViewSet(GenericViewSet):
    """Base of every account-scoped v3 resource (``/v3/a/{account_id}/…``).

    Declarative knobs (all optional):

    - ``resource_name``: key of the collection in the list envelope.
    - ``id_prefix``: public id prefix (``COM``) for ``{id}`` lookups; without it,
      ``{id}`` is the integer ``numeric_id``. Numeric ids always work.
    - ``sort_fields``: ``{api name: ORM field}``; a leading ``-`` on the ORM field
      makes descending the default order for that field (dates: newest first,
      reference "Sorting"). ``order=asc|desc`` overrides it.
    - ``default_ordering``: used without ``sort``; always ends in a unique key so
      pages are stable.
    - ``write_roles``: roles allowed to use unsafe methods (reads are open to all roles).
    - ``action_roles``: ``{action: roles}`` overriding ``write_roles`` per action
      (``{"create": ADMIN_ONLY}``, or ``{"update": ALL_ROLES}`` for call notes).
    - ``company_field``: ORM path to the company, used to hide companies a
      non-admin user has no access to; None when the rows are not per company.
    - ``throttle_scopes``: ``{action: scope}`` adding a rate limit of
      ``api/v3/throttling.py`` on top of the general one (``{"create": "sms"}``).
    - ``timestamp_zone``: ``"user"`` renders timestamps in the key user's time zone
      (tags, users, caller ids: the reference's examples carry the user's offset);
      None renders UTC with ``Z`` (companies, trackers).
    - ``relative_pagination``: honour ``relative_pagination=true`` (keyset pages,
      ``next_page``/``has_next_page``). The reference documents it for calls only,
      but pycallrail asks for it on tags, companies, form submissions and text
      messages too and stops after page 1 when ``next_page`` is missing, so every
      collection answers it. Offset pagination stays the default.
    """

    resource_name: ClassVar[str] = "results"
    id_prefix: ClassVar[str] = ""
    sort_fields: ClassVar[dict[str, str]] = {}
    default_ordering: ClassVar[tuple[str, ...]] = ("-created_at", "-id")
    write_roles: ClassVar[tuple[str, ...]] = ADMIN_AND_MANAGER
    action_roles: ClassVar[dict[str, tuple[str, ...]]] = {}
    company_field: ClassVar[str | None] = "company"
    throttle_scopes: ClassVar[dict[str, str]] = {}
    relative_pagination: ClassVar[bool] = True
    timestamp_zone: ClassVar[str | None] = None
    lookup_url_kwarg = "pk"

    account: Account

    # --- request lifecycle -------------------------------------------------

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # DRF order: authentication (401), permissions, throttles (429); then the
        # account (404 for another tenant), then the role (403).
        super().initial(request, *args, **kwargs)
        self.account = resolve_account(request, kwargs["account_id"])
        if request.user.role not in self.allowed_roles(request):
            raise exceptions.PermissionDenied()

    def allowed_roles(self, request: Request) -> tuple[str, ...]:
        if self.action in self.action_roles:
            return self.action_roles[self.action]
        if request.method in SAFE_METHODS:
            return ALL_ROLES
        return self.write_roles

    def get_throttles(self) -> list[BaseThrottle]:
        throttles = super().get_throttles()
        scope = self.throttle_scopes.get(self.action or "")
        if scope:
            throttles.append(AccountRateThrottle(scope))
        return throttles

    # --- reading -----------------------------------------------------------

    @property
    def user(self) -> User:
        return self.request.user

    def get_queryset(self) -> QuerySet:
        queryset = super().get_queryset().filter(account=self.account)
        if self.company_field and not self.user.is_admin:
            queryset = queryset.filter(**{f"{self.company_field}__in": self.user.visible_companies()})
        return self.apply_sorting(queryset)

    def paginate_queryset(self, queryset: QuerySet) -> list[Any] | None:
        if self.relative_pagination and self.wants_relative_pagination() and _keyset_ordered(queryset):
            self._paginator = RelativePagination()
        return super().paginate_queryset(queryset)

    def wants_relative_pagination(self) -> bool:
        value = self.request.query_params.get("relative_pagination", "")
        return value.strip().lower() in TRUE_VALUES

    def apply_sorting(self, queryset: QuerySet) -> QuerySet:
        sort = self.request.query_params.get("sort")
        if not sort:
            return queryset.order_by(*self.default_ordering)
        if sort not in self.sort_fields:
            raise exceptions.ValidationError(
                f"Invalid sort field '{sort}'. Valid fields: {', '.join(sorted(self.sort_fields))}"
            )
        field = self.sort_fields[sort]
        descending = field.startswith("-")
        field = field.lstrip("-")
        order = self.request.query_params.get("order")
        if order:
            if order.lower() not in ("asc", "desc"):
                raise exceptions.ValidationError("order must be asc or desc")
            descending = order.lower() == "desc"
        prefix = "-" if descending else ""
        return queryset.order_by(f"{prefix}{field}", f"{prefix}id")

    def get_object(self) -> Model:
        # List filters do not apply to a single object (V3FilterBackend skips detail views).
        queryset = self.filter_queryset(self.get_queryset())
        value = self.kwargs[self.lookup_url_kwarg]
        lookup = parse_public_or_numeric(value, self.id_prefix) if self.id_prefix else None
        if lookup is None:
            lookup = self.object_lookup(value)
        if not all(_has_field(queryset.model, field) for field in lookup):
            # A numeric id for a resource that has only public ids (summary emails).
            raise exceptions.NotFound()
        obj = get_object_or_404(queryset, **lookup)
        self.check_object_permissions(self.request, obj)
        return obj

    def object_lookup(self, value: str) -> dict[str, Any]:
        """Resources with integer ids (tags, integrations...) look up by numeric_id."""
        if str(value).isascii() and str(value).isdigit():
            return {"numeric_id": int(value)}
        raise exceptions.NotFound()

    def requested_fields(self) -> set[str]:
        """Names passed in ``fields=`` (for prefetching what will render)."""
        return requested_fields(self.request)

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["account"] = getattr(self, "account", None)
        user = getattr(self.request, "user", None)
        if self.timestamp_zone == "user" and user is not None:
            context.setdefault("time_zone", user.effective_time_zone)
        return context

    # --- helpers for writes ------------------------------------------------

    def company_param(self, value: Any, *, required: bool = True, include_disabled: bool = True) -> Company | None:
        """Resolve a ``company_id`` (query string or body) to a company the user may see.

        Missing and required → 400; unknown or hidden → 404.
        """
        if value in (None, ""):
            if required:
                raise exceptions.ValidationError("company_id is required")
            return None
        return company_for_user(self.user, value, include_disabled=include_disabled)

    def account_user(self, value: Any, field: str) -> User:
        """The active user ``value`` (``USR…`` or numeric id) of this account; otherwise 404
        naming ``field``."""
        lookup = parse_public_or_numeric(value, "USR")
        user = User.objects.filter(account=self.account, is_active=True, **(lookup or {"pk__in": []})).first()
        if user is None:
            raise exceptions.NotFound(f"{field}: user not found")
        return user

    def request_body(self) -> dict[str, Any]:
        """``request.data`` as a dict (a JSON array or scalar body is a 400)."""
        data = self.request.data
        if not isinstance(data, dict):
            raise exceptions.ValidationError("The request body must be a JSON object")
        return data

    def render(self, instance: Any, status_code: int = status.HTTP_200_OK, **context: Any) -> Response:
        """Render one object with the resource serializer (writes answer this way)."""
        serializer = self.get_serializer_class()(instance, context={**self.get_serializer_context(), **context})
        return Response(serializer.data, status=status_code)


class V3DestroyMixin:
    """``DELETE item.json`` → 204. Resources that soft-disable override ``perform_destroy``."""

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.perform_destroy(self.get_object())  # type: ignore[attr-defined]
        return Response(status=status.HTTP_204_NO_CONTENT)

    def perform_destroy(self, instance: Model) -> None:
        instance.delete()
