"""``GET /v3/a.json``, ``GET /v3/a/{account_id}.json`` and (our extension) ``PUT /v3/a/{account_id}.json``."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Account, User
from accounts.services import account_data_retention_set
from api.v3.filters import parse_bool
from api.v3.serializers.accounts import AccountSerializer, AccountUpdateInputSerializer
from api.v3.viewsets import resolve_account

FIELDS_PARAMETER = OpenApiParameter(
    "fields", str, description="Optional fields to add: numeric_id, data_retention_days."
)


@extend_schema(
    parameters=[
        OpenApiParameter("hipaa_account", bool, description="Only HIPAA (true) or non-HIPAA (false) accounts."),
        OpenApiParameter("sort", str, enum=["name"]),
        OpenApiParameter("order", str, enum=["asc", "desc"]),
        FIELDS_PARAMETER,
    ]
)
class AccountListView(ListAPIView):
    serializer_class = AccountSerializer
    resource_name = "accounts"

    def get_queryset(self) -> QuerySet[Account]:
        # A key reaches exactly one account: its own.
        queryset = Account.objects.filter(pk=self.request.auth.account_id)
        params = self.request.query_params
        hipaa = params.get("hipaa_account")
        if hipaa not in (None, ""):
            queryset = queryset.filter(hipaa_account=parse_bool(hipaa, "hipaa_account"))
        sort = params.get("sort")
        if sort and sort != "name":
            raise exceptions.ValidationError(f"Invalid sort field '{sort}'. Valid fields: name")
        order = params.get("order", "asc").lower()
        if order not in ("asc", "desc"):
            raise exceptions.ValidationError("order must be asc or desc")
        return queryset.order_by("-name" if order == "desc" else "name", "id")

    def filter_queryset(self, queryset: QuerySet[Account]) -> QuerySet[Account]:
        return queryset


@extend_schema(parameters=[FIELDS_PARAMETER])
class AccountDetailView(GenericAPIView):
    serializer_class = AccountSerializer

    def get(self, request: Request, account_id: str, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(resolve_account(request, account_id)).data)

    @extend_schema(request=AccountUpdateInputSerializer, responses={200: AccountSerializer})
    def put(self, request: Request, account_id: str, *args: Any, **kwargs: Any) -> Response:
        account = resolve_account(request, account_id)
        if request.user.role != User.Role.ADMIN:
            raise exceptions.PermissionDenied()
        if not isinstance(request.data, dict):
            raise exceptions.ValidationError("The request body must be a JSON object")
        data = AccountUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if "data_retention_days" in data.validated_data:
            account = account_data_retention_set(account=account, days=data.validated_data["data_retention_days"])
        context = {**self.get_serializer_context(), "fields": ("data_retention_days",)}
        return Response(AccountSerializer(account, context=context).data)
