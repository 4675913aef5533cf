"""Form submissions: list, create, update, ignored fields; and the forms summary
(reference: "Form Submissions", "Summarizing Form Data")."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.mixins import ListModelMixin, RetrieveModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from api.v3 import milestones, reports
from api.v3.dates import date_window, zone_resolve
from api.v3.filters import CompanyIdFilter, TagsFilter, V3FilterSet, parse_bool
from api.v3.serializers.form_submissions import (
    CREATE_RESPONSE_FIELDS,
    UPDATE_RESPONSE_FIELDS,
    FormSubmissionSerializer,
)
from api.v3.serializers.requests import (
    FormSubmissionCreateRequestSerializer,
    IgnoredFieldsRequestSerializer,
    LeadUpdateRequestSerializer,
)
from api.v3.viewsets import ALL_ROLES, V3ViewSet
from telephony.reports import form_report_filter, form_summary
from tracking.form_submissions import form_submission_create, form_submission_update, ignored_fields_add
from tracking.models import FormSubmission
from tracking.selectors import (
    FORM_LEAD_STATUSES,
    form_lead_status_q,
    form_submissions_in_window,
    form_submissions_with_person,
)

LEAD_STATUSES = FORM_LEAD_STATUSES


class FormSubmissionFilterSet(V3FilterSet):
    company_id = CompanyIdFilter()
    person_lead = django_filters.CharFilter(method="filter_person_lead")
    lead_status = django_filters.CharFilter(method="filter_lead_status")
    tags = TagsFilter()

    class Meta:
        model = FormSubmission
        fields: list[str] = []

    # The filters' meaning lives in ``tracking.selectors``, which the dashboard's list uses too.
    def filter_person_lead(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return form_submissions_with_person(qs, parse_bool(value, "person_lead"))

    def filter_lead_status(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        reports.choice_check("lead_status", value, LEAD_STATUSES)
        return qs.filter(form_lead_status_q(value))


# --- views --------------------------------------------------------------------------------


class FormSubmissionViewSet(ListModelMixin, RetrieveModelMixin, V3ViewSet):
    resource_name = "form_submissions"
    id_prefix = "FOR"
    queryset = FormSubmission.objects.all()
    serializer_class = FormSubmissionSerializer
    filterset_class = FormSubmissionFilterSet
    default_ordering = ("-submitted_at", "-id")
    # created_at sorts are to be deprecated upstream; kept working for existing clients.
    sort_fields = {"submitted_at": "-submitted_at", "created_at": "-created_at", "form_url": "form_url"}
    # Scoring and tagging are reporting-level rights (reference "User Roles").
    action_roles = {"update": ALL_ROLES}
    http_method_names = ["get", "post", "put", "head", "options"]

    def context_for(self, rows: list[FormSubmission], **extra: Any) -> dict[str, Any]:
        tz = zone_resolve(self.request.query_params.get("time_zone"), self.user)[0]
        context = {**self.get_serializer_context(), "time_zone": tz, **extra}
        if "milestones" in self.requested_fields() and rows:
            context["milestones"] = milestones.MilestoneBuilder(rows, tz)
        return context

    def get_queryset(self) -> QuerySet:
        queryset = super().get_queryset().select_related("company", "person")
        if "tags" in self.requested_fields():
            queryset = queryset.prefetch_related("tags")
        return queryset

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        window = date_window(request.query_params, self.user, account=self.account)
        queryset = form_submissions_in_window(self.filter_queryset(self.get_queryset()), window)
        rows = self.paginate_queryset(queryset)
        data = FormSubmissionSerializer(rows, many=True, context=self.context_for(rows)).data
        return self.get_paginated_response(data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        submission = self.get_object()
        return Response(FormSubmissionSerializer(submission, context=self.context_for([submission])).data)

    @extend_schema(request=FormSubmissionCreateRequestSerializer)
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = self.request_body()
        # The reference's example wraps the fields in "form_submission"; its table lists them flat.
        if isinstance(body.get("form_submission"), dict):
            body = body["form_submission"]
        missing = [
            name
            for name in ("company_id", "referrer", "referring_url", "landing_page_url", "form_url", "form_data")
            if body.get(name) in (None, "")
        ]
        if missing:
            raise exceptions.ValidationError(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} required")
        if not isinstance(body["form_data"], dict):
            raise exceptions.ValidationError("form_data must be an object")
        for name in ("referrer", "referring_url", "landing_page_url", "form_url"):
            if not isinstance(body[name], str):
                raise exceptions.ValidationError(f"{name} must be a string")
        company = self.company_param(body["company_id"], include_disabled=False)
        submission = form_submission_create(company=company, data=body)
        submission = self.get_queryset().get(pk=submission.pk)
        context = self.context_for([submission], only_fields=CREATE_RESPONSE_FIELDS)
        return Response(FormSubmissionSerializer(submission, context=context).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=LeadUpdateRequestSerializer)
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        submission = self.get_object()
        body = self.request_body()
        allowed = ("tags", "append_tags", "note", "value", "lead_status")
        changes = {key: body[key] for key in allowed if key in body}
        if "tags" in changes:
            if changes["tags"] is not None and not isinstance(changes["tags"], list):
                raise exceptions.ValidationError("tags must be an array of tag names")
            changes["append_tags"] = parse_bool(changes.get("append_tags", False), "append_tags")
        form_submission_update(submission=submission, changes=changes, user=self.user)
        submission = self.get_queryset().get(pk=submission.pk)
        context = self.context_for([submission], only_fields=UPDATE_RESPONSE_FIELDS)
        return Response(FormSubmissionSerializer(submission, context=context).data)

    @extend_schema(request=IgnoredFieldsRequestSerializer)
    @action(detail=False, methods=["post"])
    def ignored_fields(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Ignore form fields from now on, and strip them from past submissions."""
        body = self.request_body()
        company_ids, names = body.get("company_ids"), body.get("field_names")
        if not isinstance(company_ids, list) or not company_ids:
            raise exceptions.ValidationError('company_ids is required: an array of company ids, or ["all"]')
        if not isinstance(names, list) or not names or not all(isinstance(n, str) and n.strip() for n in names):
            raise exceptions.ValidationError("field_names is required: an array of field names")
        if company_ids == ["all"]:
            companies = list(self.user.visible_companies())
        else:
            companies = [self.company_param(value) for value in company_ids]
        ignored_fields_add(account=self.account, companies=companies, field_names=[n.strip() for n in names])
        # The reference's message, typo included: clients may compare it.
        return Response({"message": "Ingored form fields created"})


class FormSummarySerializer(serializers.Serializer):
    """The shape of ``forms/summary.json`` (for the OpenAPI description)."""

    start_date = serializers.CharField()
    end_date = serializers.CharField()
    time_zone = serializers.CharField()
    total_results = serializers.DictField(child=serializers.IntegerField())
    grouped_by = serializers.CharField(required=False)
    grouped_results = serializers.ListField(child=serializers.DictField(), required=False)


class FormSummaryViewSet(V3ViewSet):
    """``GET forms/summary.json``."""

    resource_name = "forms"
    serializer_class = FormSummarySerializer
    company_field = None

    def summary(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        params = request.query_params
        metrics = reports.selected_metrics(params, reports.FORM_METRICS, "total_forms")
        group_by = reports.choice_param(params, "group_by", reports.FORM_GROUPS)
        window = date_window(params, self.user, account=self.account)
        queryset = FormSubmission.objects.filter(account=self.account, **window.lookups("submitted_at"))
        if not self.user.is_admin:
            queryset = queryset.filter(company__in=self.user.visible_companies())
        company = self.company_param(params.get("company_id"), required=False)
        if company is not None:
            queryset = queryset.filter(company=company)
        result = form_summary(
            form_report_filter(queryset, reports.form_filters(params)), group_by=group_by, metrics=metrics
        )
        return Response(reports.summary_render(result, window=window, metrics=metrics, group_by=group_by))
