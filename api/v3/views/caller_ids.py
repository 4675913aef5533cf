"""Outbound caller ids: ``/v3/a/{account_id}/caller_ids``."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.mixins import RetrieveModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from api.v3.exceptions import Unprocessable
from api.v3.serializers.caller_ids import CallerIdCreateInputSerializer, CallerIdSerializer
from api.v3.views.integrations import CompanyScopedListMixin
from api.v3.viewsets import V3DestroyMixin, V3ViewSet
from telephony.caller_ids import CallerIdError, VerificationCallFailed, caller_id_register
from telephony.models import OutboundCallerId


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The carrier is unavailable; try again later."


class CallerIdViewSet(CompanyScopedListMixin, RetrieveModelMixin, V3DestroyMixin, V3ViewSet):
    resource_name = "caller_ids"
    queryset = OutboundCallerId.objects.select_related("company")
    serializer_class = CallerIdSerializer
    default_ordering = ("created_at", "id")
    timestamp_zone = "user"

    @extend_schema(request=CallerIdCreateInputSerializer, responses={201: CallerIdSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = CallerIdCreateInputSerializer(data=self.request_body())
        data.is_valid(raise_exception=True)
        values = data.validated_data
        company = self.company_param(values["company_id"], include_disabled=False)
        try:
            caller_id = caller_id_register(
                account=self.account, company=company, phone_number=values["phone_number"], name=values["name"]
            )
        except CallerIdError as exc:
            raise Unprocessable(str(exc)) from exc
        except VerificationCallFailed as exc:
            raise ServiceUnavailable(f"The verification call could not be placed: {exc}") from exc
        return self.render(caller_id, status.HTTP_201_CREATED)
