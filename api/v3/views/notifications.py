"""Notifications (per-user call and text alerts): ``/v3/a/{account_id}/notifications``."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.mixins import RetrieveModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from api.v3.filters import user_lookup
from api.v3.serializers.notifications import (
    NAME_FIELDS,
    NotificationCreateInputSerializer,
    NotificationSerializer,
    NotificationUpdateInputSerializer,
)
from api.v3.viewsets import ALL_ROLES, V3DestroyMixin, V3ViewSet
from integrations.models import Notification
from integrations.services import AlertRuleError, notification_create, notification_delete, notification_update
from tracking.models import Tracker

# notification_type filter values: the reference's, and the short forms some clients send.
NOTIFICATION_TYPES = {
    "send_desktop": "send_desktop",
    "send_email": "send_email",
    "send_push": "send_push",
    "desktop": "send_desktop",
    "email": "send_email",
    "push": "send_push",
}


class NotificationViewSet(RetrieveModelMixin, V3DestroyMixin, V3ViewSet):
    resource_name = "notifications"
    queryset = Notification.objects.select_related("user", "company", "agent")
    serializer_class = NotificationSerializer
    default_ordering = ("created_at", "id")
    company_field = None
    # Every role manages its own alerts (reference "User Roles"); admins manage everyone's.
    write_roles = ALL_ROLES

    def get_queryset(self) -> QuerySet[Notification]:
        queryset = super().get_queryset()
        if self.action == "list" and not self.user.is_admin:
            queryset = queryset.filter(user=self.user)
        return queryset

    def check_object_permissions(self, request: Request, obj: Notification) -> None:
        super().check_object_permissions(request, obj)
        # Reference: a notification the key's user does not manage is a 403.
        if not self.user.is_admin and obj.user_id != self.user.pk:
            raise exceptions.PermissionDenied()

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["tracker_names"] = getattr(self, "_tracker_names", {})
        return context

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        instances = args[0] if args else None
        if instances is not None:
            rows = instances if isinstance(instances, list) else [instances]
            self._tracker_names = self.tracker_names(rows)
        return super().get_serializer(*args, **kwargs)

    def tracker_names(self, notifications: list[Notification]) -> dict[str, str]:
        ids = {row.tracker_public_id for row in notifications if row.tracker_public_id}
        if not ids:
            return {}
        return dict(Tracker.objects.filter(account=self.account, public_id__in=ids).values_list("public_id", "name"))

    def _param(self, name: str) -> Any:
        # The reference sends user_id/email as a JSON body on this GET; the query string works too.
        value = self.request.query_params.get(name)
        if value is None and isinstance(self.request.data, dict):
            value = self.request.data.get(name)
        return value

    @extend_schema(
        parameters=[
            OpenApiParameter("user_id", str, description="Only this user's notifications."),
            OpenApiParameter("email", str, description="Only this email-only recipient's notifications."),
            OpenApiParameter(
                "notification_type", str, enum=sorted(NOTIFICATION_TYPES), description="Only those sent this way."
            ),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.get_queryset()
        user_id = self._param("user_id")
        if user_id:
            queryset = queryset.filter(user_lookup(user_id))
        email = self._param("email")
        if email:
            queryset = queryset.filter(email__iexact=str(email).strip())
        kind = request.query_params.get("notification_type")
        if kind:
            if kind not in NOTIFICATION_TYPES:
                raise exceptions.ValidationError("notification_type must be one of send_desktop, send_email, send_push")
            queryset = queryset.filter(**{NOTIFICATION_TYPES[kind]: True})
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def _scope(self, values: dict[str, Any], current: Notification | None = None) -> dict[str, Any]:
        """company_id / tracker_id / agent_id → model values (a tracker implies its company)."""
        scope: dict[str, Any] = {}
        company = current.company if current else None
        if "company_id" in values:
            company = self.company_param(values["company_id"], required=False)
            scope["company"] = company
        if "tracker_id" in values:
            tracker_id = values["tracker_id"] or ""
            if tracker_id:
                trackers = Tracker.objects.filter(account=self.account, company__in=self.user.visible_companies())
                tracker = trackers.filter(public_id=tracker_id).select_related("company").first()
                if tracker is None:
                    raise exceptions.NotFound("Tracker not found")
                if company is not None and tracker.company_id != company.pk:
                    raise exceptions.ValidationError("tracker_id belongs to another company than company_id")
                scope["company"] = tracker.company
            scope["tracker_public_id"] = tracker_id
        if values.get("agent_id"):
            scope["agent"] = self.account_user(values["agent_id"], "agent_id")
        return scope

    @extend_schema(request=NotificationCreateInputSerializer, responses={201: NotificationSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = NotificationCreateInputSerializer(data=self.request_body())
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        recipient: User | None = self.user
        email = ""
        if values.get("user_id"):
            recipient = self.account_user(values["user_id"], "user_id")
        elif values.get("email"):
            recipient, email = None, values["email"]
        # Neither user_id nor email: the key's own user (reference "Creating a Notification").
        if (recipient is None or recipient.pk != self.user.pk) and not self.user.is_admin:
            raise exceptions.PermissionDenied()
        settings_ = {
            key: values[key]
            for key in values
            if key not in ("user_id", "email", "company_id", "tracker_id", "agent_id")
        }
        settings_.update(self._scope(values))
        try:
            notification = notification_create(account=self.account, user=recipient, email=email, values=settings_)
        except AlertRuleError as exc:
            raise exceptions.ValidationError(str(exc)) from exc
        return self.render(notification, status.HTTP_201_CREATED, fields=NAME_FIELDS)

    @extend_schema(request=NotificationUpdateInputSerializer, responses={200: NotificationSerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        notification = self.get_object()
        data = NotificationUpdateInputSerializer(data=self.request_body())
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        settings_ = {key: values[key] for key in values if key not in ("company_id", "tracker_id")}
        settings_.update(self._scope(values, current=notification))
        try:
            notification = notification_update(notification=notification, values=settings_)
        except AlertRuleError as exc:
            raise exceptions.ValidationError(str(exc)) from exc
        return self.render(notification, fields=NAME_FIELDS)

    def render(self, instance: Any, status_code: int = status.HTTP_200_OK, **context: Any) -> Response:
        self._tracker_names = self.tracker_names([instance])
        return super().render(instance, status_code, **context)

    def perform_destroy(self, instance: Notification) -> None:
        notification_delete(notification=instance)
