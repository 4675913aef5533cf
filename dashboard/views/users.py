"""The account's people (admins only): who they are, what they reach, and the invitations,
role changes and deactivations that the account services carry out."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from accounts.audit import action_label
from accounts.models import ApiKey, AuditEvent, Company, User
from accounts.services import (
    UserRuleError,
    user_access_change,
    user_deactivate,
    user_invitation_cancel,
    user_invitation_resend,
    user_invite,
    user_reactivate,
)
from dashboard.access import ADMINS
from dashboard.account_forms import ROLE_HELP, AccessForm, InviteForm
from dashboard.views.account_base import AccountPage, ConfirmView, paginate

STATUSES: dict[str, tuple[str, Q]] = {
    "active": (
        "Active",
        Q(is_active=True, accepted=True) & ~Q(role=User.Role.NOTIFICATION),
    ),
    "invited": ("Invited", Q(is_active=True, accepted=False)),
    "alerts": ("Alerts only", Q(is_active=True, role=User.Role.NOTIFICATION)),
    "deactivated": ("Deactivated", Q(is_active=False)),
}


def user_status(user: User) -> str:
    """The key of ``STATUSES`` the user is in."""
    if not user.is_active:
        return "deactivated"
    if user.role == User.Role.NOTIFICATION:
        return "alerts"
    return "active" if user.accepted else "invited"


def account_users(account_id: int) -> QuerySet[User]:
    companies = Prefetch("companies", Company.objects.order_by("name", "pk"), to_attr="company_list")
    return User.objects.filter(account_id=account_id).prefetch_related(companies)


class UsersView(AccountPage):
    template_name = "dashboard/account/users.html"
    title = "Users"
    lead = "The people of your account, what they can do and which companies they reach."
    roles = ADMINS

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        state = self.scope.state
        users = account_users(self.scope.account.pk).order_by("email")
        counts = users.aggregate(
            **{key: Count("pk", filter=condition, distinct=True) for key, (_, condition) in STATUSES.items()}
        )
        query = state.get("q")
        if query:
            users = users.filter(
                Q(email__icontains=query) | Q(first_name__icontains=query) | Q(last_name__icontains=query)
            )
        role = state.get("role")
        if role in User.Role.values:
            users = users.filter(role=role)
        status = state.get("status")
        if status in STATUSES:
            users = users.filter(STATUSES[status][1])
        page = paginate(users, state)
        for user in page.object_list:
            user.status = user_status(user)
            user.status_label = STATUSES[user.status][0]
        return {
            **super().get_context_data(**kwargs),
            "page": page,
            "stats": [(key, label, counts[key]) for key, (label, _) in STATUSES.items()],
            "statuses": {key: label for key, (label, _) in STATUSES.items()},
            "roles": User.Role.choices,
            "filtered": bool(query or role or status),
        }


class InviteView(AccountPage):
    template_name = "dashboard/account/user_invite.html"
    title = "Invite a user"
    nav = "Users"
    lead = "They receive an email with a link to choose their password, then land signed in."
    roles = ADMINS

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        form = kwargs.pop("form", None) or InviteForm(account=self.scope.account, initial={"role": User.Role.MANAGER})
        return {**super().get_context_data(**kwargs), "form": form, "role_help": ROLE_HELP}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = InviteForm(request.POST, account=self.scope.account)
        if form.is_valid():
            data = form.cleaned_data
            try:
                user = user_invite(
                    account=self.scope.account,
                    email=data["email"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    role=data["role"],
                    companies=list(data["companies"]),
                )
            except UserRuleError as exc:
                form.add_error(None, str(exc))
            else:
                if user.role == User.Role.NOTIFICATION:
                    messages.success(request, f"{user.email} is added. Choose the alerts they receive.")
                    return HttpResponseRedirect(reverse("dashboard:notifications") + f"?user={user.public_id}")
                messages.success(request, f"Invitation sent to {user.email}.")
                return HttpResponseRedirect(reverse("dashboard:users"))
        return self.render_to_response(self.get_context_data(form=form))


class UserMixin:
    """Finds the user named in the URL among the account's (404 for anyone else's)."""

    kwargs: dict[str, Any]
    scope: Any

    _user: User | None = None

    def get_user(self) -> User:
        if self._user is None:
            self._user = account_users(self.scope.account.pk).filter(public_id=self.kwargs["user_id"]).first()
            if self._user is None:
                raise Http404("No such user.")
        return self._user

    def user_url(self, user: User) -> str:
        return reverse("dashboard:user", kwargs={"user_id": user.public_id})


class UserView(UserMixin, AccountPage):
    template_name = "dashboard/account/user.html"
    nav = "Users"
    roles = ADMINS

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = kwargs.pop("user", None) or self.get_user()
        self.title = user.name or user.email
        form = kwargs.pop("form", None) or AccessForm(
            account=self.scope.account,
            initial={"role": user.role, "companies": [company.pk for company in getattr(user, "company_list", [])]},
        )
        keys = ApiKey.objects.filter(user=user)
        activity = list(AuditEvent.objects.filter(account=self.scope.account, actor=user)[:8])
        for entry in activity:
            entry.label = action_label(entry.action)  # type: ignore[attr-defined]
        return {
            **super().get_context_data(**kwargs),
            "person": user,
            "status": user_status(user),
            "statuses": {key: label for key, (label, _) in STATUSES.items()},
            "form": form,
            "role_help": ROLE_HELP,
            "is_self": user.pk == self.scope.user.pk,
            "active_keys": keys.filter(revoked_at__isnull=True).count(),
            "activity": activity,
        }

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = self.get_user()
        form = AccessForm(request.POST, account=self.scope.account)
        if form.is_valid():
            try:
                user_access_change(
                    user=user,
                    role=form.cleaned_data["role"],
                    companies=list(form.cleaned_data["companies"]),
                    actor=self.scope.user,
                )
            except UserRuleError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"{user.email}'s role and access are saved.")
                return HttpResponseRedirect(self.user_url(user))
        return self.render_to_response(self.get_context_data(user=user, form=form))


class UserInvitationResendView(UserMixin, AccountPage):
    roles = ADMINS
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = self.get_user()
        try:
            user_invitation_resend(user=user)
        except UserRuleError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"A new invitation is on its way to {user.email}.")
        return HttpResponseRedirect(self.user_url(user))


class UserInvitationCancelView(UserMixin, ConfirmView):
    roles = ADMINS
    title = "Cancel the invitation"
    nav = "Users"
    button = "Cancel invitation"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        self.question = f"Cancel {self.get_user().email}'s invitation?"
        return super().get_context_data(**kwargs)

    def details(self) -> str:
        return "The link in their email stops working. You can invite them again later."

    def cancel_url(self) -> str:
        return self.user_url(self.get_user())

    def confirmed(self) -> str:
        user = self.get_user()
        try:
            user_invitation_cancel(user=user)
        except UserRuleError as exc:
            messages.error(self.request, str(exc))
            return self.user_url(user)
        messages.success(self.request, f"{user.email}'s invitation is canceled.")
        return reverse("dashboard:users")


class UserDeactivateView(UserMixin, ConfirmView):
    roles = ADMINS
    title = "Deactivate a user"
    nav = "Users"
    button = "Deactivate"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        self.question = f"Deactivate {self.get_user().email}?"
        return super().get_context_data(**kwargs)

    def details(self) -> str:
        return (
            "They are signed out everywhere at once and their API keys stop working. Their alert rules "
            "and everything they did stay; you can reactivate them later (with new API keys)."
        )

    def cancel_url(self) -> str:
        return self.user_url(self.get_user())

    def confirmed(self) -> str:
        user = self.get_user()
        try:
            user_deactivate(user=user, actor=self.scope.user)
        except UserRuleError as exc:
            messages.error(self.request, str(exc))
        else:
            messages.success(self.request, f"{user.email} is deactivated.")
        return self.user_url(user)


class UserReactivateView(UserMixin, AccountPage):
    roles = ADMINS
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = user_reactivate(user=self.get_user())
        messages.success(request, f"{user.email} can sign in again.")
        return HttpResponseRedirect(self.user_url(user))
