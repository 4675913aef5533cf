"""Integrations (``/integrations``) and integration triggers (``/integration_triggers``)."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.mixins import RetrieveModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Company
from api.v3.exceptions import Unprocessable
from api.v3.serializers.integrations import (
    IntegrationCreateInputSerializer,
    IntegrationSerializer,
    IntegrationTriggerCreateInputSerializer,
    IntegrationTriggerSerializer,
    IntegrationTriggerUpdateInputSerializer,
    IntegrationUpdateInputSerializer,
)
from api.v3.viewsets import V3DestroyMixin, V3ViewSet
from integrations.models import Integration, IntegrationTrigger
from integrations.services import (
    IntegrationRuleError,
    integration_create,
    integration_disable,
    integration_trigger_create,
    integration_trigger_update,
    integration_update,
)
from tracking.models import Tracker

COMPANY_ID_PARAMETER = OpenApiParameter(
    "company_id", str, required=True, description="The company (COM… or numeric id) whose rows to list."
)


class CompanyScopedListMixin:
    """Collections the reference lists one company at a time (``company_id`` required)."""

    @extend_schema(parameters=[COMPANY_ID_PARAMETER])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        company: Company = self.company_param(request.query_params.get("company_id"))  # type: ignore[attr-defined]
        queryset = self.get_queryset().filter(company=company)  # type: ignore[attr-defined]
        page = self.paginate_queryset(queryset)  # type: ignore[attr-defined]
        return self.get_paginated_response(self.get_serializer(page, many=True).data)  # type: ignore[attr-defined]


def _validation(exc: DjangoValidationError) -> exceptions.ValidationError:
    return exceptions.ValidationError("config: " + " ".join(exc.messages))


class IntegrationViewSet(CompanyScopedListMixin, RetrieveModelMixin, V3DestroyMixin, V3ViewSet):
    resource_name = "integrations"
    queryset = Integration.objects.select_related("company")
    serializer_class = IntegrationSerializer
    default_ordering = ("created_at", "id")

    @extend_schema(request=IntegrationCreateInputSerializer, responses={201: IntegrationSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = IntegrationCreateInputSerializer(data=self.request_body())
        data.is_valid(raise_exception=True)
        values = data.validated_data
        company = self.company_param(values["company_id"], include_disabled=False)
        try:
            integration = integration_create(
                account=self.account, company=company, type_=values["type"], config=values.get("config") or {}
            )
        except DjangoValidationError as exc:
            raise _validation(exc) from exc
        except IntegrationRuleError as exc:
            raise Unprocessable(str(exc)) from exc
        # The signing key is shown when the integration is created (reference "Creating an Integration").
        return self.render(integration, status.HTTP_201_CREATED, all_fields=True)

    @extend_schema(request=IntegrationUpdateInputSerializer, responses={200: IntegrationSerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        integration = self.get_object()
        data = IntegrationUpdateInputSerializer(data=self.request_body())
        data.is_valid(raise_exception=True)
        config = data.validated_data.get("config")
        if config is not None and not isinstance(config, dict):
            raise exceptions.ValidationError("config must be an object")
        try:
            integration = integration_update(
                integration=integration, state=data.validated_data.get("state"), config=config
            )
        except DjangoValidationError as exc:
            raise _validation(exc) from exc
        return self.render(integration)

    def perform_destroy(self, instance: Integration) -> None:
        # DELETE disables (reference "Disabling an Integration").
        integration_disable(integration=instance)


class IntegrationTriggerViewSet(CompanyScopedListMixin, RetrieveModelMixin, V3DestroyMixin, V3ViewSet):
    # The reference's collection key for triggers (checklist §5 #27).
    resource_name = "integration_criteria"
    queryset = IntegrationTrigger.objects.select_related("company", "integration")
    serializer_class = IntegrationTriggerSerializer
    default_ordering = ("created_at", "id")

    def _tracker_ids(self, company: Company, values: dict[str, Any]) -> None:
        if not values.get("tracker_ids"):
            if "tracker_ids" in values:
                values["tracker_ids"] = []
            return
        wanted = values["tracker_ids"]
        known = set(Tracker.objects.filter(company=company, public_id__in=wanted).values_list("public_id", flat=True))
        unknown = [tracker_id for tracker_id in wanted if tracker_id not in known]
        if unknown:
            raise exceptions.ValidationError(f"tracker_ids: unknown tracker {unknown[0]} for this company")

    @extend_schema(request=IntegrationTriggerCreateInputSerializer, responses={201: IntegrationTriggerSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = IntegrationTriggerCreateInputSerializer(data=self.request_body())
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        company = self.company_param(values.pop("company_id"))
        integration = None
        integration_id = values.pop("integration_id", None)
        if integration_id is not None:
            integration = Integration.objects.filter(
                account=self.account, company=company, numeric_id=integration_id
            ).first()
            if integration is None:
                raise exceptions.NotFound("Integration not found for this company")
            if integration.state != Integration.State.ACTIVE:
                # Triggers scope an integration's data, so it must exist and be active.
                raise exceptions.ValidationError("The integration must be active to have a trigger.")
        self._tracker_ids(company, values)
        try:
            trigger = integration_trigger_create(
                account=self.account, company=company, integration=integration, values=values
            )
        except IntegrationRuleError as exc:
            # Reference: "400 Bad Request with a helpful message if a integration trigger already exists".
            raise exceptions.ValidationError(str(exc)) from exc
        return self.render(trigger, status.HTTP_201_CREATED)

    @extend_schema(request=IntegrationTriggerUpdateInputSerializer, responses={200: IntegrationTriggerSerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        trigger = self.get_object()
        data = IntegrationTriggerUpdateInputSerializer(data=self.request_body())
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        self._tracker_ids(trigger.company, values)
        try:
            trigger = integration_trigger_update(trigger=trigger, values=values)
        except IntegrationRuleError as exc:
            raise exceptions.ValidationError(str(exc)) from exc
        return self.render(trigger)
