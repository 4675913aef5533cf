"""The signed-in user's own profile: name and time zone, password, and their other sessions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from accounts.services import user_password_change, user_sessions_end, user_update
from dashboard.account_forms import PasswordForm, ProfileForm
from dashboard.views.account_base import AccountPage


class ProfileView(AccountPage):
    template_name = "dashboard/account/profile.html"
    title = "Profile"
    lead = "Your name, time zone and password, and where you are signed in."

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.scope.user
        details = kwargs.pop("details", None) or ProfileForm(
            account=self.scope.account,
            initial={"first_name": user.first_name, "last_name": user.last_name, "time_zone": user.time_zone},
        )
        password = kwargs.pop("password", None) or PasswordForm(user)
        return {**super().get_context_data(**kwargs), "details": details, "password": password}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = self.scope.user
        which = request.POST.get("form")
        if which == "password":
            password = PasswordForm(user, request.POST)
            if not password.is_valid():
                return self.render_to_response(self.get_context_data(password=password))
            user_password_change(user=user, password=password.cleaned_data["new_password1"])
            # This browser stays signed in; every other session ended with the old password.
            update_session_auth_hash(request, user)
            messages.success(request, "Your password is changed. Other browsers must sign in again.")
        elif which == "sessions":
            user_sessions_end(user=user)
            update_session_auth_hash(request, user)
            messages.success(request, "Every other session is signed out. This one stays signed in.")
        else:
            details = ProfileForm(request.POST, account=self.scope.account)
            if not details.is_valid():
                return self.render_to_response(self.get_context_data(details=details))
            user_update(user=user, **details.cleaned_data)
            messages.success(request, "Your profile is saved.")
        return HttpResponseRedirect(reverse("dashboard:profile"))
