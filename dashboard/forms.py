"""The sign-in and password forms, styled for the dashboard (Django's own logic underneath)."""

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm, UsernameField


class _Styled:
    """Gives every widget the dashboard's form-control look."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        for field in self.fields.values():  # type: ignore[attr-defined]
            field.widget.attrs.setdefault("class", "form-control")


class SignInForm(_Styled, AuthenticationForm):
    username = UsernameField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email and password don't match. Check them and try again.",
    }

    def clean_username(self) -> str:
        # Emails are stored lower-cased (UserManager.create_user); people type them as they like.
        return self.cleaned_data["username"].strip().lower()


class PasswordResetRequestForm(_Styled, PasswordResetForm):
    pass


class PasswordSetForm(_Styled, SetPasswordForm):
    pass
