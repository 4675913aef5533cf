"""The shared base of every v3 resource: account scoping, roles, sorting, paging.

A resource viewset only declares its queryset, serializer, filters and sort
fields; the rules here are written once and tested once.
"""

from typing import Any, ClassVar

from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.viewsets import GenericViewSet

from accounts.fields import parse_public_or_numeric
from accounts.models import Account, User


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


class V3ViewSet(GenericViewSet):
    resource_name: ClassVar[str] = "results"
    # Public id prefix of the resource, for `{id}` lookups (numeric ids work too).
    id_prefix: ClassVar[str] = ""
    # API sort name -> ORM field. The first entry's direction is the default.
    sort_fields: ClassVar[dict[str, str]] = {}
    default_ordering: ClassVar[tuple[str, ...]] = ("-created_at", "-id")
    # Roles allowed to write through this resource (reads are open to every role).
    write_roles: ClassVar[tuple[str, ...]] = (User.Role.ADMIN, User.Role.MANAGER)
    # ORM path from the model to its company, for per-user company access; None if not company-scoped.
    company_field: ClassVar[str | None] = "company"
    lookup_url_kwarg = "pk"

    account: Account

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.account = resolve_account(request, kwargs["account_id"])
        if request.method not in ("GET", "HEAD", "OPTIONS") and request.user.role not in self.write_roles:
            raise exceptions.PermissionDenied()

    def get_queryset(self) -> QuerySet:
        queryset = super().get_queryset().filter(account=self.account)
        user: User = self.request.user
        if self.company_field and not user.is_admin:
            queryset = queryset.filter(**{f"{self.company_field}__in": user.visible_companies()})
        return self.apply_sorting(queryset)

    def apply_sorting(self, queryset: QuerySet) -> QuerySet:
        sort = self.request.query_params.get("sort")
        if not sort:
            return queryset.order_by(*self.default_ordering)
        if sort not in self.sort_fields:
            raise exceptions.ValidationError(
                f"Invalid sort field '{sort}'. Valid fields: {', '.join(sorted(self.sort_fields))}"
            )
        order = self.request.query_params.get("order", "asc").lower()
        if order not in ("asc", "desc"):
            raise exceptions.ValidationError("order must be asc or desc")
        field = self.sort_fields[sort]
        prefix = "-" if order == "desc" else ""
        return queryset.order_by(f"{prefix}{field}", f"{prefix}id")

    def get_object(self) -> Model:
        queryset = self.filter_queryset(self.get_queryset())
        lookup = parse_public_or_numeric(self.kwargs[self.lookup_url_kwarg], self.id_prefix) if self.id_prefix else None
        if lookup is None:
            lookup = self.object_lookup(self.kwargs[self.lookup_url_kwarg])
        obj = get_object_or_404(queryset, **lookup)
        self.check_object_permissions(self.request, obj)
        return obj

    def object_lookup(self, value: str) -> dict[str, Any]:
        """Resources with integer ids (tags, integrations...) look up by numeric_id."""
        if str(value).isdigit():
            return {"numeric_id": int(value)}
        raise exceptions.NotFound()

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["account"] = getattr(self, "account", None)
        return context
