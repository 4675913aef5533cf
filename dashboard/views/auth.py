"""Signing in and out, and a forgotten password reset by email (Django's auth views)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpResponse
from django.urls import reverse_lazy

from dashboard.access import home_url
from dashboard.forms import PasswordResetRequestForm, PasswordSetForm, SignInForm

# Signing a user in after they set a password names the backend, so that a second
# authentication backend (sign-in throttling) does not make the choice ambiguous.
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


class SignInView(auth_views.LoginView):
    template_name = "dashboard/auth/sign_in.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return home_url(self.request.user)  # type: ignore[arg-type]


class SignOutView(auth_views.LogoutView):
    """POST only (Django's LogoutView refuses GET): a link cannot sign anyone out."""


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "dashboard/auth/password_reset.html"
    form_class = PasswordResetRequestForm
    email_template_name = "dashboard/auth/password_reset_email.txt"
    subject_template_name = "dashboard/auth/password_reset_subject.txt"
    success_url = reverse_lazy("dashboard:password-reset-sent")


class PasswordResetSentView(auth_views.PasswordResetDoneView):
    template_name = "dashboard/auth/password_reset_sent.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Sets the new password and signs the user in (they just proved they own the address)."""

    template_name = "dashboard/auth/password_set.html"
    form_class = PasswordSetForm
    post_reset_login = True
    post_reset_login_backend = MODEL_BACKEND
    title = "Choose a new password"

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, "Your new password is set.")
        return response

    def get_success_url(self) -> str:
        return home_url(self.request.user)  # type: ignore[arg-type]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "submit_label": "Set password"}
