"""Companies: ``/v3/a/{account_id}/companies(.json|/{id}.json|/bulk_update.json)``."""

from typing import Any

import django_filters
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.mixins import ListModelMixin, RetrieveModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Company
from accounts.services import (
    LastActiveCompanyError,
    companies_form_capture_set,
    company_create,
    company_disable,
    company_update,
)
from api.v3.filters import V3FilterSet, company_lookup
from api.v3.serializers.companies import (
    CONVERSION_FIELDS,
    BulkUpdateResultSerializer,
    CompanyBulkUpdateInputSerializer,
    CompanyCreateInputSerializer,
    CompanySerializer,
    CompanyUpdateInputSerializer,
)
from api.v3.viewsets import ADMIN_AND_MANAGER, ADMIN_ONLY, V3DestroyMixin, V3ViewSet
from integrations.conversions import CREDENTIAL_FIELDS, conversion_settings_update, feed_token_rotate
from telephony.models import OutboundCallerId
from telephony.trackers import tracker_disable
from tracking.models import Tracker


class CompanyFilterSet(V3FilterSet):
    search_fields = ("name",)
    status = django_filters.ChoiceFilter(choices=Company.Status.choices)

    class Meta:
        model = Company
        fields: list[str] = []


# Update keys that are call conversion settings, not company settings.
CONVERSION_INPUTS = ("call_conversion", "rotate_google_ads_feed_token", *CREDENTIAL_FIELDS)


def company_pks(companies: QuerySet[Company], ids: list[str]) -> list[int]:
    """The rows of ``ids`` (``COM…`` or numeric) among ``companies``.

    Any unknown id is a 404, before anything changes.
    """
    condition = Q(pk__in=[])
    for value in ids:
        condition |= company_lookup(value, "")
    rows = list(companies.filter(condition).values("pk", "public_id", "numeric_id"))
    by_id = {row["public_id"]: row["pk"] for row in rows} | {str(row["numeric_id"]): row["pk"] for row in rows}
    missing = [value for value in ids if str(value) not in by_id]
    if missing:
        raise exceptions.NotFound(f"Company {missing[0]} not found")
    return [by_id[str(value)] for value in ids]


DISCLOSURE_FIELDS = ("recording_disclosure", "recording_disclosure_message", "record_after_disclosure")


def _disclosure_fields(values: dict[str, Any]) -> tuple[str, ...]:
    """A write that set the recording announcement answers with all of its fields."""
    return DISCLOSURE_FIELDS if set(values) & set(DISCLOSURE_FIELDS) else ()


class CompanyViewSet(ListModelMixin, RetrieveModelMixin, V3DestroyMixin, V3ViewSet):
    resource_name = "companies"
    id_prefix = "COM"
    queryset = Company.objects.all()
    serializer_class = CompanySerializer
    filterset_class = CompanyFilterSet
    sort_fields = {"name": "name"}
    default_ordering = ("name", "id")
    company_field = "pk"
    # Managers change the settings of their own companies; only admins add or
    # disable companies (reference "User Roles").
    action_roles = {"create": ADMIN_ONLY, "destroy": ADMIN_ONLY, "update": ADMIN_AND_MANAGER}

    def get_queryset(self) -> QuerySet[Company]:
        queryset = super().get_queryset()
        if set(CONVERSION_FIELDS) & self.requested_fields():
            queryset = queryset.select_related("conversion_settings")
        if "verified_caller_ids" in self.requested_fields():
            verified = OutboundCallerId.objects.filter(verified=True).order_by("created_at", "id")
            queryset = queryset.prefetch_related(Prefetch("caller_ids", verified, to_attr="verified_caller_id_list"))
        return queryset

    @extend_schema(request=CompanyCreateInputSerializer, responses={201: CompanySerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = CompanyCreateInputSerializer(data=self.request_body())
        data.is_valid(raise_exception=True)
        company = company_create(account=self.account, **data.validated_data)
        return self.render(company, status.HTTP_201_CREATED, fields=_disclosure_fields(data.validated_data))

    @extend_schema(request=CompanyUpdateInputSerializer, responses={200: CompanySerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        company = self.get_object()
        data = CompanyUpdateInputSerializer(data=self.request_body(), company=company)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        conversions = {key: changes.pop(key) for key in CONVERSION_INPUTS if key in changes}
        with transaction.atomic():
            if changes:
                company = company_update(company=company, changes=changes)
            if conversions:
                rotate = conversions.pop("rotate_google_ads_feed_token", False)
                conversion_settings_update(company=company, **conversions)
                if rotate:
                    feed_token_rotate(company=company)
                # Read again: the settings just written, not any cached on the instance.
                company = Company.objects.select_related("conversion_settings").get(pk=company.pk)
                # Changes to conversions answer with their (non-secret) fields.
                return self.render(company, fields=(*CONVERSION_FIELDS, *_disclosure_fields(data.validated_data)))
        return self.render(company, fields=_disclosure_fields(data.validated_data))

    @extend_schema(request=CompanyBulkUpdateInputSerializer, responses={200: BulkUpdateResultSerializer})
    @action(detail=False, methods=["post"], url_path="bulk_update")
    def bulk_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = CompanyBulkUpdateInputSerializer(data=self.request_body())
        data.is_valid(raise_exception=True)
        ids = data.validated_data["company_ids"]
        companies = self.user.visible_companies()
        # ["all"] means every company the key's user can reach (reference "Update Multiple Companies").
        if [str(value).lower() for value in ids] != ["all"]:
            companies = companies.filter(pk__in=company_pks(companies, ids))
        enabled = data.validated_data.get("external_form_capture")
        updated = 0 if enabled is None else companies_form_capture_set(companies=companies, enabled=enabled)
        return Response({"updated_records": updated})

    def perform_destroy(self, instance: Company) -> None:
        try:
            company_disable(company=instance)
        except LastActiveCompanyError as exc:
            raise exceptions.ValidationError(str(exc)) from exc
        # Reference "Disabling a Company": all its tracking numbers are disabled and swap.js
        # stops. Form-submission calls end with the company, so no tracker keeps that role
        # (tracker_disable refuses the outbound tracker otherwise). Each tracker releases
        # its numbers at the carrier outside the company's transaction.
        trackers = Tracker.objects.filter(company=instance, status=Tracker.Status.ACTIVE)
        trackers.filter(form_submission_outbound=True).update(form_submission_outbound=False)
        for tracker in trackers:
            tracker_disable(tracker=tracker)
