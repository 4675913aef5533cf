"""Summary email subscriptions: ``/v3/a/{account_id}/summary_emails``."""

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.mixins import ListModelMixin, RetrieveModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from api.v3.filters import ArrayFilter, CompanyIdFilter, V3FilterSet, user_lookup
from api.v3.serializers.summary_emails import (
    SummaryEmailCreateInputSerializer,
    SummaryEmailSerializer,
    SummaryEmailUpdateInputSerializer,
)
from api.v3.viewsets import ALL_ROLES, V3DestroyMixin, V3ViewSet
from integrations.models import SummaryEmail
from integrations.services import (
    SUMMARY_EMAIL_FREQUENCIES,
    AlertRuleError,
    summary_email_create,
    summary_email_delete,
    summary_email_update,
)


class FrequencyFilter(ArrayFilter):
    """Subscriptions sent at ANY of the given frequencies (``frequency[]=daily``)."""

    def filter(self, qs: QuerySet, value: list[str]) -> QuerySet:
        if not value:
            return qs
        unknown = sorted(set(value) - set(SUMMARY_EMAIL_FREQUENCIES))
        if unknown:
            raise exceptions.ValidationError(f"frequency must be among {', '.join(SUMMARY_EMAIL_FREQUENCIES)}")
        condition = Q()
        for frequency in value:
            condition |= Q(frequency__contains=[frequency])
        return qs.filter(condition)


class SummaryEmailFilterSet(V3FilterSet):
    frequency = FrequencyFilter(split_commas=True)
    # The reference says a blank company_id fetches the account-level settings; its own
    # list example returns company subscriptions without one, so no company_id means all.
    company_id = CompanyIdFilter()
    user_id = django_filters.CharFilter(method="filter_user")
    email = django_filters.CharFilter(field_name="email", lookup_expr="iexact")

    class Meta:
        model = SummaryEmail
        fields: list[str] = []

    def filter_user(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(user_lookup(value))


class SummaryEmailViewSet(ListModelMixin, RetrieveModelMixin, V3DestroyMixin, V3ViewSet):
    resource_name = "summary_emails"
    id_prefix = "CSS"
    queryset = SummaryEmail.objects.select_related("company", "user", "account")
    serializer_class = SummaryEmailSerializer
    filterset_class = SummaryEmailFilterSet
    default_ordering = ("created_at", "id")
    company_field = None
    # Everyone manages their own subscriptions; admins manage everyone's.
    write_roles = ALL_ROLES

    def get_queryset(self) -> QuerySet[SummaryEmail]:
        queryset = super().get_queryset()
        if self.action == "list" and not self.user.is_admin:
            queryset = queryset.filter(user=self.user)
        return queryset

    def check_object_permissions(self, request: Request, obj: SummaryEmail) -> None:
        super().check_object_permissions(request, obj)
        # Reference: records of other users are for administrators only (403).
        if not self.user.is_admin and obj.user_id != self.user.pk:
            raise exceptions.PermissionDenied()

    @extend_schema(request=SummaryEmailCreateInputSerializer, responses={201: SummaryEmailSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = SummaryEmailCreateInputSerializer(data=self.request_body())
        data.is_valid(raise_exception=True)
        values = data.validated_data
        recipient: User | None = None
        email = ""
        if values.get("user_id"):
            recipient = self.account_user(values["user_id"], "user_id")
        else:
            email = values["email"]
        if (recipient is None or recipient.pk != self.user.pk) and not self.user.is_admin:
            raise exceptions.PermissionDenied()
        company = self.company_param(values.get("company_id"), required=False)
        try:
            summary = summary_email_create(
                account=self.account,
                user=recipient,
                email=email,
                company=company,
                frequency=values["frequency"],
                config=values["config"],
                lead_status=values.get("filters", {}).get("lead_status", "All"),
            )
        except AlertRuleError as exc:
            raise exceptions.ValidationError(str(exc)) from exc
        return self.render(summary, status.HTTP_201_CREATED, fields=("filters",))

    @extend_schema(request=SummaryEmailUpdateInputSerializer, responses={200: SummaryEmailSerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        summary = self.get_object()
        data = SummaryEmailUpdateInputSerializer(data=self.request_body())
        data.is_valid(raise_exception=True)
        values = data.validated_data
        summary = summary_email_update(
            summary_email=summary,
            frequency=values.get("frequency"),
            config=values.get("config"),
            lead_status=values.get("filters", {}).get("lead_status"),
        )
        return self.render(summary, fields=("filters",))

    def perform_destroy(self, instance: SummaryEmail) -> None:
        summary_email_delete(summary_email=instance)
