"""Trackers: list, show, create (session and source), update and disable
(reference: "Trackers")."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.mixins import ListModelMixin, RetrieveModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from api.v3.exceptions import Unprocessable
from api.v3.filters import CompanyIdFilter, V3FilterSet
from api.v3.serializers.trackers import TrackerCreateInputSerializer, TrackerSerializer, TrackerUpdateInputSerializer
from api.v3.viewsets import V3DestroyMixin, V3ViewSet
from telephony import trackers as tracker_service
from telephony.carrier import CarrierError, NumberUnavailable
from tracking.models import Tracker


class CarrierUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The phone carrier could not complete the request; try again later."


class TrackerFilterSet(V3FilterSet):
    search_fields = ("name",)
    company_id = CompanyIdFilter()
    type = django_filters.ChoiceFilter(choices=Tracker.Type.choices)
    status = django_filters.ChoiceFilter(choices=Tracker.Status.choices)

    class Meta:
        model = Tracker
        fields: list[str] = []


def carrier_call(function: Any, **kwargs: Any) -> Any:
    """Run a lifecycle operation, answering carrier failures with the right status."""
    try:
        return function(**kwargs)
    except NumberUnavailable as exc:
        raise Unprocessable(str(exc) or "No matching number is available.") from exc
    except CarrierError as exc:
        raise CarrierUnavailable() from exc


class TrackerViewSet(ListModelMixin, RetrieveModelMixin, V3DestroyMixin, V3ViewSet):
    resource_name = "trackers"
    id_prefix = "TRK"
    queryset = Tracker.objects.all()
    serializer_class = TrackerSerializer
    filterset_class = TrackerFilterSet
    sort_fields = {"name": "name"}
    http_method_names = ["get", "post", "put", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().select_related("company", "call_flow").prefetch_related("numbers")

    @extend_schema(request=TrackerCreateInputSerializer, responses={201: TrackerSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = self.request_body()
        company = self.company_param(body.get("company_id"), include_disabled=False)
        tracker = carrier_call(tracker_service.tracker_create, account=self.account, company=company, data=body)
        return self.render(self._fresh(tracker), status.HTTP_201_CREATED)

    @extend_schema(request=TrackerUpdateInputSerializer, responses={200: TrackerSerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        tracker = self.get_object()
        changes = self.request_body()
        tracker = carrier_call(tracker_service.tracker_update, tracker=tracker, changes=changes)
        return self.render(self._fresh(tracker))

    def perform_destroy(self, instance: Tracker) -> None:
        try:
            tracker_service.tracker_disable(tracker=instance)
        except tracker_service.TrackerDisableRefused as exc:
            raise exceptions.ValidationError(exc.messages[0]) from exc

    def _fresh(self, tracker: Tracker) -> Tracker:
        return Tracker.objects.select_related("company", "call_flow").prefetch_related("numbers").get(pk=tracker.pk)
