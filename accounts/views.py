"""Accepting an invitation: the invited user sets a password from the emailed link."""

from typing import Any

from django.conf import settings
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.views import PasswordResetConfirmView
from django.http import HttpResponse
from django.shortcuts import resolve_url

from accounts.services import user_invitation_accept


class InvitationAcceptView(PasswordResetConfirmView):
    """Django's password-reset confirmation, which also marks the invitation accepted and
    signs the new user in, straight onto the dashboard.

    The token is Django's password-reset token: it stops working once a password is set.
    """

    template_name = "accounts/invitation_accept.html"
    title = "Accept your invitation"
    post_reset_login = True
    # Named so that another authentication backend (sign-in throttling) leaves no ambiguity.
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        response = super().form_valid(form)  # sets the password and signs the user in
        user_invitation_accept(user=form.user)
        return response

    def get_form(self, form_class: type[SetPasswordForm] | None = None) -> SetPasswordForm:
        form = super().get_form(form_class)
        for field in form.fields.values():
            field.widget.attrs.setdefault("class", "form-control")
        return form

    def get_success_url(self) -> str:
        return resolve_url(settings.LOGIN_REDIRECT_URL)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "submit_label": "Accept and sign in"}
