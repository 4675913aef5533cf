"""Form submissions: list, create, update, ignored fields; and the forms summary
(reference: "Form Submissions", "Summarizing Form Data")."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import django_filters
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.mixins import ListModelMixin, RetrieveModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Account, Company, Tag, User
from api.v3 import milestones, reports
from api.v3.dates import date_window, zone_resolve
from api.v3.filters import CompanyIdFilter, TagsFilter, V3FilterSet, parse_bool, query_list
from api.v3.serializers.form_submissions import (
    CREATE_RESPONSE_FIELDS,
    UPDATE_RESPONSE_FIELDS,
    FormSubmissionSerializer,
)
from api.v3.viewsets import ALL_ROLES, V3ViewSet
from tracking.forms_capture import clean_fields, customer_details
from tracking.models import FormSubmission, Person
from tracking.services import person_insert
from tracking.signals import form_submitted

LEAD_STATUSES = ("good_lead", "not_a_lead", "not_scored")


class FormSubmissionFilterSet(V3FilterSet):
    company_id = CompanyIdFilter()
    person_lead = django_filters.CharFilter(method="filter_person_lead")
    lead_status = django_filters.CharFilter(method="filter_lead_status")
    tags = TagsFilter()

    class Meta:
        model = FormSubmission
        fields: list[str] = []

    def filter_person_lead(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(person__isnull=not parse_bool(value, "person_lead"))

    def filter_lead_status(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        reports.choice_check("lead_status", value, LEAD_STATUSES)
        return qs.filter(reports.lead_status_q(value))


# --- writes (the API's own entry points; swap.js captures go through tracking.forms_capture) --


def _person_for(*, company: Company, phone: str, email: str, name: str) -> Person | None:
    """The lead a submission belongs to: found by phone, else by email, else created."""
    if not (phone or email):
        return None
    person = None
    if phone:
        person = Person.objects.filter(company=company, phone_number=phone).first()
    if person is None and email:
        person = Person.objects.filter(company=company, email__iexact=email).first()
    if person is None and phone:
        # Looked up above; race-safe against a call or a captured form creating it right now.
        person = person_insert(
            account_id=company.account_id, company_id=company.pk, phone_number=phone, name=name, email=email
        )
    elif person is None:
        person = Person.objects.create(account_id=company.account_id, company=company, email=email, name=name)
    return person


@transaction.atomic
def form_submission_create(*, company: Company, data: dict[str, Any]) -> FormSubmission:
    """Record a submission sent through the API; a phone number in the fields names the lead.

    Fields the company ignores, passwords and card numbers are never stored.
    """
    fields = clean_fields(data["form_data"], company.ignored_form_fields or [])
    phone, name, email = customer_details(fields)
    person = _person_for(company=company, phone=phone, email=email, name=name)
    first_form = person is None or not FormSubmission.objects.filter(company=company, person=person).exists()
    referrer = data["referrer"]
    submission = FormSubmission.objects.create(
        account_id=company.account_id,
        company=company,
        person=person,
        form_data=fields,
        form_url=data["form_url"],
        landing_page_url=data["landing_page_url"],
        referrer=referrer,
        referring_url=data["referring_url"],
        submitted_at=timezone.now(),
        first_form=first_form,
        customer_phone_number=phone,
        customer_name=name,
        customer_email=email,
        source=referrer,
    )
    form_submitted.send(sender=FormSubmission, submission=submission)
    return submission


def money_parse(value: Any) -> Decimal | None:
    """``"$1.00"``, ``"1.00"`` or ``1`` → ``Decimal("1.00")``; null or "" clears."""
    if value in (None, ""):
        return None
    text = str(value).strip().replace("$", "").replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise exceptions.ValidationError("value must be a number such as 1.00 or $1.00") from exc
    if not amount.is_finite() or abs(amount) >= Decimal("1e10"):
        raise exceptions.ValidationError("value must be a number such as 1.00 or $1.00")
    return amount.quantize(Decimal("0.01"))


def tags_resolve(*, company: Company, names: Any) -> list[Tag]:
    """Tag names → tags of the company (account-level tags too); unknown names are created."""
    if names is None:
        return []
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise exceptions.ValidationError("tags must be an array of tag names")
    tags: list[Tag] = []
    for raw in names:
        name = raw.strip()
        if not name:
            continue
        if len(name) > 100:
            raise exceptions.ValidationError("tag names are at most 100 characters")
        tag = (
            Tag.objects.filter(account_id=company.account_id, name=name)
            .filter(Q(company=company) | Q(tag_level=Tag.Level.ACCOUNT))
            .first()
        )
        if tag is None:
            tag, _ = Tag.objects.get_or_create(account_id=company.account_id, company=company, name=name)
        if tag.status == Tag.Status.DISABLED:
            raise exceptions.ValidationError(f"The tag '{name}' is disabled")
        tags.append(tag)
    return tags


@transaction.atomic
def form_submission_update(
    *, submission: FormSubmission, changes: dict[str, Any], user: User | None = None
) -> FormSubmission:
    """Tags, note, value and lead status of a submission (like a call update)."""
    submission = FormSubmission.objects.select_for_update().get(pk=submission.pk)
    if "lead_status" in changes:
        lead_status = changes["lead_status"] or None
        if lead_status not in (None, "good_lead", "not_a_lead"):
            raise exceptions.ValidationError("lead_status must be good_lead, not_a_lead or null")
        if lead_status == "good_lead" and submission.lead_status == "previously_marked_good_lead":
            raise exceptions.ValidationError(
                "This lead was previously marked as a good lead; the submission cannot be marked good_lead again."
            )
        submission.lead_status = lead_status
    if "note" in changes:
        note = changes["note"] or ""
        if not isinstance(note, str):
            raise exceptions.ValidationError("note must be text")
        submission.note = note
    if "value" in changes:
        submission.value = money_parse(changes["value"])
    submission.save()
    if "tags" in changes:
        tags = tags_resolve(company=submission.company, names=changes["tags"])
        if parse_bool(changes.get("append_tags", False), "append_tags"):
            submission.tags.add(*tags)
        else:
            submission.tags.set(tags)
    return submission


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
        window = date_window(request.query_params, self.user)
        queryset = self.filter_queryset(self.get_queryset()).filter(**window.lookups("submitted_at"))
        rows = self.paginate_queryset(queryset)
        data = FormSubmissionSerializer(rows, many=True, context=self.context_for(rows)).data
        return self.get_paginated_response(data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        submission = self.get_object()
        return Response(FormSubmissionSerializer(submission, context=self.context_for([submission])).data)

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

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        submission = self.get_object()
        body = self.request_body()
        allowed = ("tags", "append_tags", "note", "value", "lead_status")
        changes = {key: body[key] for key in allowed if key in body}
        form_submission_update(submission=submission, changes=changes, user=self.user)
        submission = self.get_queryset().get(pk=submission.pk)
        context = self.context_for([submission], only_fields=UPDATE_RESPONSE_FIELDS)
        return Response(FormSubmissionSerializer(submission, context=context).data)

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


@transaction.atomic
def ignored_fields_add(*, account: Account, companies: list[Company], field_names: list[str]) -> None:
    lowered = {name.lower() for name in field_names}
    for company in Company.objects.select_for_update().filter(pk__in=[c.pk for c in companies], account=account):
        current = list(company.ignored_form_fields or [])
        known = {name.lower() for name in current}
        for name in field_names:  # case-insensitive, and once even if the request repeats it
            if name.lower() not in known:
                known.add(name.lower())
                current.append(name)
        company.ignored_form_fields = current
        company.save(update_fields=["ignored_form_fields", "updated_at"])
        for submission in FormSubmission.objects.filter(company=company).only("id", "form_data").iterator():
            data = submission.form_data or {}
            kept = {key: value for key, value in data.items() if key.lower() not in lowered}
            if kept != data:
                FormSubmission.objects.filter(pk=submission.pk).update(form_data=kept)


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
        window = date_window(params, self.user)
        queryset = FormSubmission.objects.filter(account=self.account, **window.lookups("submitted_at"))
        if not self.user.is_admin:
            queryset = queryset.filter(company__in=self.user.visible_companies())
        company = self.company_param(params.get("company_id"), required=False)
        if company is not None:
            queryset = queryset.filter(company=company)
        tags = query_list(params, "tags", split_commas=True)
        if tags:
            through = FormSubmission.tags.through
            queryset = queryset.filter(pk__in=through.objects.filter(tag__name__in=tags).values("formsubmission_id"))
        form_ids = query_list(params, "custom_form_ids", split_commas=True)
        if form_ids:
            # Forms are identified by their FOR… ids here: a captured form has no
            # separate custom-form record, so the id names the submissions themselves.
            queryset = queryset.filter(public_id__in=form_ids)
        form_url = params.get("form_URL") or params.get("form_url")
        if form_url:
            queryset = queryset.filter(form_url__iexact=form_url)
        lead_status = reports.choice_param(params, "lead_status", LEAD_STATUSES)
        if lead_status:
            queryset = queryset.filter(reports.lead_status_q(lead_status))
        return Response(
            reports.summary(
                queryset,
                window=window,
                metrics=metrics,
                group_by=group_by,
                groups=reports.FORM_GROUPS,
                aggregates=reports.form_aggregates(metrics),
                render=reports.form_metrics_render,
                order_metric="total_forms",
            )
        )
