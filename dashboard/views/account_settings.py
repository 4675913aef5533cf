"""The account's own settings (admins): its name and time zone, outbound recording, and
the settings the account services list (``account_settings_fields``); HIPAA mode is shown,
set only by the platform's operator."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from accounts.models import Account
from accounts.services import account_settings_update
from dashboard.access import ADMINS
from dashboard.account_forms import AccountSettingsForm
from dashboard.views.account_base import AccountPage


class AccountSettingsView(AccountPage):
    template_name = "dashboard/account/account_settings.html"
    title = "Account settings"
    lead = "What applies to every company and every person of the account."
    roles = ADMINS

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        account = Account.objects.get(pk=self.scope.account.pk)
        return {
            **super().get_context_data(**kwargs),
            "account": account,
            "form": kwargs.get("form") or AccountSettingsForm(instance=account),
        }

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        account = Account.objects.get(pk=self.scope.account.pk)
        form = AccountSettingsForm(request.POST, instance=Account.objects.get(pk=account.pk))
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        account_settings_update(account=account, changes={name: form.cleaned_data[name] for name in form.fields})
        messages.success(request, "Account settings saved.")
        return HttpResponseRedirect(reverse("dashboard:account-settings"))
