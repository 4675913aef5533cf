"""Erasures (our extension): ``/v3/a/{account_id}/erasures(.json|/{id}.json)``, admins only.

``POST`` with ``phone_number`` and/or ``email`` answers 202: a worker erases the person
across every company of the account; ``GET`` the erasure to follow its ``status``
(``pending``, ``running``, ``completed``, ``failed``).
"""

from typing import Any

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.mixins import ListModelMixin, RetrieveModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from api.v3.serializers.erasures import ErasureCreateInputSerializer, ErasureSerializer
from api.v3.viewsets import ADMIN_ONLY, V3ViewSet
from privacy.erasure import erasure_request
from privacy.models import Erasure


class ErasureViewSet(ListModelMixin, RetrieveModelMixin, V3ViewSet):
    resource_name = "erasures"
    id_prefix = "ERS"
    queryset = Erasure.objects.select_related("requested_by")
    serializer_class = ErasureSerializer
    sort_fields = {"created_at": "-created_at"}
    company_field = None
    timestamp_zone = "user"
    # Erasing a person reaches every company of the account: an admin's decision.
    action_roles = {"list": ADMIN_ONLY, "retrieve": ADMIN_ONLY, "create": ADMIN_ONLY}

    def object_lookup(self, value: str) -> dict[str, Any]:
        raise exceptions.NotFound()

    @extend_schema(request=ErasureCreateInputSerializer, responses={202: ErasureSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = ErasureCreateInputSerializer(data=self.request_body())
        data.is_valid(raise_exception=True)
        try:
            erasure = erasure_request(
                account=self.account,
                phone_number=data.validated_data.get("phone_number", ""),
                email=data.validated_data.get("email", ""),
                requested_by=self.user,
                via=Erasure.Via.API,
            )
        except ValidationError as exc:
            raise exceptions.ValidationError(" ".join(exc.messages)) from exc
        return self.render(erasure, status.HTTP_202_ACCEPTED)
