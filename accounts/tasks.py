"""Background work for accounts: invitation emails and the audit trail's retention."""

from celery import shared_task
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.audit import audit_log_prune as audit_log_prune_service
from accounts.models import User


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def user_invitation_send(user_id: int) -> None:
    """Email an invited user the link where they set their password.

    Skipped once the invitation is accepted (retries and duplicate deliveries are harmless).
    """
    user = User.objects.select_related("account").filter(pk=user_id, accepted=False, is_active=True).first()
    if user is None:
        return
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = settings.PUBLIC_BASE_URL + reverse("accounts:invitation-accept", kwargs={"uidb64": uid, "token": token})
    context = {"user": user, "account": user.account, "link": link}
    send_mail(
        subject=f"You're invited to {user.account.name}",
        message=render_to_string("accounts/invitation_email.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )


@shared_task
def audit_log_prune() -> None:
    """Delete audit entries older than their account's retention period."""
    audit_log_prune_service()
