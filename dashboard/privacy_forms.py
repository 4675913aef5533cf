"""The form of the account's privacy page: whom to erase."""

from __future__ import annotations

from typing import Any

from django import forms

from dashboard.account_forms import StyledForm


class ErasureForm(StyledForm):
    """A person is named by phone number and/or email; the erasure service checks them."""

    phone_number = forms.CharField(label="Phone number", required=False, max_length=40)
    email = forms.CharField(label="Email", required=False, max_length=254)
    confirm = forms.BooleanField(
        label="I understand this cannot be undone",
        required=True,
        error_messages={"required": "Tick the box to confirm: an erasure cannot be undone."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["phone_number"].widget.attrs.update({"type": "tel", "autocomplete": "off", "inputmode": "tel"})
        self.fields["email"].widget.attrs.update({"type": "email", "autocomplete": "off"})
        self.fields["phone_number"].help_text = "As the person gave it; for example (404) 555-0123."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("phone_number", "").strip() or data.get("email", "").strip()):
            raise forms.ValidationError("Give a phone number, an email, or both.")
        return data
