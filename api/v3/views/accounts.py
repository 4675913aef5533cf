"""``GET /v3/a.json`` and ``GET /v3/a/{account_id}.json``."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Account
from api.v3.filters import parse_bool
from api.v3.serializers.accounts import AccountSerializer
from api.v3.viewsets import resolve_account

FIELDS_PARAMETER = OpenApiParameter("fields", str, description="Optional fields to add: numeric_id.")


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
