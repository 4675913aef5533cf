"""``GET /v3/a.json`` and ``GET /v3/a/{account_id}.json``."""

from rest_framework import exceptions
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Account
from api.v3.serializers.accounts import AccountSerializer
from api.v3.viewsets import resolve_account


class AccountListView(GenericAPIView):
    serializer_class = AccountSerializer
    resource_name = "accounts"

    def get(self, request: Request) -> Response:
        # A key reaches exactly one account: its own.
        queryset = Account.objects.filter(pk=request.auth.account_id)
        hipaa = request.query_params.get("hipaa_account")
        if hipaa is not None:
            if hipaa.lower() not in ("true", "false"):
                raise exceptions.ValidationError("hipaa_account must be true or false")
            queryset = queryset.filter(hipaa_account=hipaa.lower() == "true")
        sort = request.query_params.get("sort")
        if sort and sort != "name":
            raise exceptions.ValidationError(f"Invalid sort field '{sort}'. Valid fields: name")
        desc = request.query_params.get("order", "asc").lower() == "desc"
        queryset = queryset.order_by("-name" if desc else "name", "id")
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class AccountDetailView(GenericAPIView):
    serializer_class = AccountSerializer

    def get(self, request: Request, account_id: str) -> Response:
        return Response(self.get_serializer(resolve_account(request, account_id)).data)
