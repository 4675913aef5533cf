"""API keys: each user creates their own (shown once, stored hashed), sees when each was
last used, and revokes it; admins see and revoke every key of the account."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache

from accounts.models import ApiKey
from accounts.services import ApiKeyRuleError, api_key_create, api_key_revoke
from dashboard.account_forms import ApiKeyForm
from dashboard.views.account_base import AccountPage, ConfirmView, paginate


class ApiKeysMixin:
    scope: Any

    @property
    def sees_everyone(self) -> bool:
        """Admins may list every key of the account (``?owner=all``)."""
        return bool(self.scope.user.is_admin and self.scope.state.get("owner") == "all")

    def keys(self, *, everyone: bool) -> QuerySet[ApiKey]:
        keys = ApiKey.objects.filter(account=self.scope.account).select_related("user")
        if not everyone:
            keys = keys.filter(user=self.scope.user)
        return keys.order_by("revoked_at", "-created_at", "-pk")


class ApiKeysView(ApiKeysMixin, AccountPage):
    template_name = "dashboard/account/api_keys.html"
    title = "API keys"
    lead = "Keys let scripts and other tools use the API as you: they see what you see."

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        everyone = self.sees_everyone
        return {
            **super().get_context_data(**kwargs),
            "form": kwargs.pop("form", None) or ApiKeyForm(),
            "page": paginate(self.keys(everyone=everyone), self.scope.state),
            "everyone": everyone,
        }


class ApiKeyCreateView(ApiKeysMixin, AccountPage):
    """GET: the form on its own. POST: the new key, shown this once (never stored, never cached)."""

    template_name = "dashboard/account/api_key_new.html"
    title = "New API key"
    nav = "API keys"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "form": kwargs.pop("form", None) or ApiKeyForm()}

    @method_decorator(never_cache)
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = ApiKeyForm(request.POST)
        if form.is_valid():
            try:
                key, plain = api_key_create(user=self.scope.user, name=form.cleaned_data["name"])
            except ApiKeyRuleError as exc:
                form.add_error(None, str(exc))
            else:
                context = self.get_context_data(form=form, key=key, plain=plain)
                context["title"] = "Your new API key"
                return self.render_to_response(context)
        return self.render_to_response(self.get_context_data(form=form))

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        context.setdefault("example_url", self.request.build_absolute_uri(reverse("account-list")))
        return super().render_to_response(context, **kwargs)


class ApiKeyRevokeView(ApiKeysMixin, ConfirmView):
    title = "Revoke an API key"
    nav = "API keys"
    button = "Revoke key"

    def get_key(self) -> ApiKey:
        key = self.keys(everyone=self.scope.user.is_admin).filter(public_id=self.kwargs["key_id"]).first()
        if key is None:
            raise Http404("No such key.")
        return key

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        key = self.get_key()
        owner = "" if key.user_id == self.scope.user.pk else f" of {key.user.email}"
        self.question = f"Revoke the key “{key.name or key.prefix}”{owner}?"
        return super().get_context_data(**kwargs)

    def details(self) -> str:
        return "The next request made with it is refused. Anything that uses it stops working, for good."

    def cancel_url(self) -> str:
        return reverse("dashboard:api-keys")

    def confirmed(self) -> str:
        key = self.get_key()
        api_key_revoke(key=key)
        messages.success(self.request, f"The key “{key.name or key.prefix}” is revoked.")
        return reverse("dashboard:api-keys") + ("?owner=all" if key.user_id != self.scope.user.pk else "")
