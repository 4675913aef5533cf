"""Users: ``/v3/a/{account_id}/users(.json|/{id}.json)``."""

from typing import Any

import django_filters
from django.db.models import Prefetch, Q, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.mixins import ListModelMixin, RetrieveModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Company, User
from accounts.services import UserRuleError, user_delete, user_invite, user_update
from api.v3.exceptions import Unprocessable
from api.v3.filters import V3FilterSet, company_lookup
from api.v3.serializers.users import UserCreateInputSerializer, UserSerializer, UserUpdateInputSerializer
from api.v3.viewsets import ADMIN_ONLY, ALL_ROLES, V3DestroyMixin, V3ViewSet, company_for_user


class UserFilterSet(V3FilterSet):
    search_fields = ("first_name", "last_name", "email")
    company_id = django_filters.CharFilter(method="filter_company")

    class Meta:
        model = User
        fields: list[str] = []

    def filter_company(self, queryset: QuerySet[User], name: str, value: str) -> QuerySet[User]:
        # Users of a company: those given access to it, and the admins, who reach every company.
        company = self.request.user.visible_companies().filter(company_lookup(value, "")).first()
        if company is None:
            return queryset.none()
        return queryset.filter(Q(role=User.Role.ADMIN) | Q(companies=company)).distinct()


class UserViewSet(ListModelMixin, RetrieveModelMixin, V3DestroyMixin, V3ViewSet):
    resource_name = "users"
    id_prefix = "USR"
    queryset = User.objects.filter(is_active=True)
    serializer_class = UserSerializer
    filterset_class = UserFilterSet
    sort_fields = {"email": "email", "created_at": "-created_at"}
    default_ordering = ("email", "id")
    company_field = None
    timestamp_zone = "user"
    # Only admins add or remove users; everyone may edit their own profile (checked per object).
    action_roles = {"create": ADMIN_ONLY, "destroy": ADMIN_ONLY, "update": ALL_ROLES}

    def get_queryset(self) -> QuerySet[User]:
        queryset = super().get_queryset()
        if not self.user.is_admin:
            # User management is an admin screen; other roles see only themselves.
            queryset = queryset.filter(pk=self.user.pk)
        return queryset.prefetch_related(
            Prefetch("companies", Company.objects.order_by("name", "id"), to_attr="company_list")
        )

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if getattr(self, "account", None) is not None:
            # Loaded once per request: every admin on the page lists the same companies.
            context["account_companies"] = list(Company.objects.filter(account=self.account).order_by("name", "id"))
        if self.action == "list":
            context["fields"] = ("accepted",)
        return context

    def companies_param(self, values: list[str]) -> list[Company]:
        return [company_for_user(self.user, value) for value in values]

    @extend_schema(request=UserCreateInputSerializer, responses={200: UserSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = UserCreateInputSerializer(data=self.request_body())
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        companies = self.companies_param(values.pop("companies", []) or [])
        try:
            user = user_invite(account=self.account, companies=companies, **values)
        except UserRuleError as exc:
            raise Unprocessable(str(exc)) from exc
        # The reference answers "200 OK" here (not 201 like other creates); kept as documented.
        return self.render(user, status.HTTP_200_OK)

    @extend_schema(request=UserUpdateInputSerializer, responses={200: UserSerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        target: User = self.get_object()
        data = UserUpdateInputSerializer(data=self.request_body())
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        is_self = target.pk == self.user.pk
        profile = {key: values[key] for key in ("first_name", "last_name", "email") if key in values}
        if profile and not is_self:
            # Reference: names and email are managed only by their owner.
            raise exceptions.PermissionDenied()
        if "companies" in values and not self.user.is_admin:
            raise exceptions.PermissionDenied()
        if not target.accepted:
            raise Unprocessable("Users can be updated only after accepting their invitation.")
        if "email" in profile and profile["email"].lower() != target.email:
            password = values.get("current_password")
            if not password or not target.check_password(password):
                raise Unprocessable("current_password is required and must be correct to change the email address.")
        companies = self.companies_param(values["companies"]) if "companies" in values else None
        try:
            target = user_update(user=target, companies=companies, **profile)
        except UserRuleError as exc:
            raise Unprocessable(str(exc)) from exc
        return self.render(self.get_queryset().get(pk=target.pk))

    def perform_destroy(self, instance: User) -> None:
        if instance.pk == self.user.pk:
            raise exceptions.ValidationError("You cannot delete your own user.")
        try:
            user_delete(user=instance, actor=self.user)
        except UserRuleError as exc:
            raise Unprocessable(str(exc)) from exc
