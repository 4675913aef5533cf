"""Tags: ``/v3/a/{account_id}/tags(.json|/{id}.json)``."""

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.mixins import ListModelMixin, RetrieveModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Tag
from accounts.services import DuplicateTagError, tag_create, tag_update
from api.v3.exceptions import Unprocessable
from api.v3.filters import CompanyIdFilter, V3FilterSet
from api.v3.serializers.tags import TagCreateInputSerializer, TagSerializer, TagUpdateInputSerializer
from api.v3.viewsets import V3DestroyMixin, V3ViewSet


class TagFilterSet(V3FilterSet):
    company_id = CompanyIdFilter()
    status = django_filters.ChoiceFilter(choices=Tag.Status.choices)
    tag_level = django_filters.ChoiceFilter(choices=Tag.Level.choices)

    class Meta:
        model = Tag
        fields: list[str] = []

    def is_valid(self) -> bool:
        valid = super().is_valid()
        if valid and self.form.cleaned_data.get("tag_level") == "account" and self.form.cleaned_data.get("company_id"):
            # Reference: "You cannot use a filter of tag_level=account and a company_id filter in the same request."
            self.form.add_error(None, "tag_level=account cannot be combined with company_id")
            return False
        return valid


class TagViewSet(ListModelMixin, RetrieveModelMixin, V3DestroyMixin, V3ViewSet):
    resource_name = "tags"
    queryset = Tag.objects.select_related("company")
    serializer_class = TagSerializer
    filterset_class = TagFilterSet
    sort_fields = {"name": "name"}
    default_ordering = ("name", "id")
    timestamp_zone = "user"
    # Account-level tags reach every company; get_queryset keeps them for everyone.
    company_field = None

    def get_queryset(self) -> QuerySet[Tag]:
        queryset = super().get_queryset()
        if not self.user.is_admin:
            queryset = queryset.filter(Q(company__isnull=True) | Q(company__in=self.user.visible_companies()))
        return queryset

    def check_object_permissions(self, request: Request, obj: Tag) -> None:
        super().check_object_permissions(request, obj)
        # Account-level tags apply to every company: only admins change them.
        if request.method not in ("GET", "HEAD", "OPTIONS") and obj.company_id is None and not self.user.is_admin:
            raise exceptions.PermissionDenied()

    @extend_schema(request=TagCreateInputSerializer, responses={201: TagSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = TagCreateInputSerializer(data=self.request_body())
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if values.get("tag_level") == Tag.Level.ACCOUNT:
            if not self.user.is_admin:
                raise exceptions.PermissionDenied()
            company = None
        else:
            company = self.company_param(values.get("company_id"), required=True)
        try:
            tag = tag_create(
                account=self.account, name=values["name"], company=company, color=values.get("color", "gray1")
            )
        except DuplicateTagError as exc:
            raise Unprocessable(str(exc)) from exc
        return self.render(tag, status.HTTP_201_CREATED)

    @extend_schema(request=TagUpdateInputSerializer, responses={200: TagSerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        tag = self.get_object()
        data = TagUpdateInputSerializer(data=self.request_body())
        data.is_valid(raise_exception=True)
        changes = {name: value for name, value in data.validated_data.items() if value is not None}
        try:
            tag = tag_update(tag=tag, **changes)
        except DuplicateTagError as exc:
            raise Unprocessable(str(exc)) from exc
        return self.render(tag)
