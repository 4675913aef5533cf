"""Accepting an invitation: the invited user sets a password from the emailed link."""

from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.views import PasswordResetCompleteView, PasswordResetConfirmView
from django.http import HttpResponse
from django.urls import reverse_lazy

from accounts.services import user_invitation_accept


class InvitationAcceptView(PasswordResetConfirmView):
    """Django's password-reset confirmation, which also marks the invitation accepted.

    The token is Django's password-reset token: it stops working once a password is set.
    """

    success_url = reverse_lazy("accounts:invitation-done")
    title = "Accept your invitation"

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        response = super().form_valid(form)  # sets the password
        user_invitation_accept(user=form.user)
        return response


class InvitationDoneView(PasswordResetCompleteView):
    title = "Invitation accepted"
