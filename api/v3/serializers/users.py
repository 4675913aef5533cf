from typing import Any

from rest_framework import serializers

from accounts.models import Company, User
from api.v3.serializers.base import TimestampField, V3ModelSerializer


class UserSerializer(V3ModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True)
    created_at = TimestampField()
    name = serializers.CharField(read_only=True)
    companies = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ("email", "id", "created_at", "role", "first_name", "last_name", "name", "accepted", "companies")
        read_only_fields = fields
        # `accepted` is documented on the list only; the list asks for it (context "fields").
        extra_fields = ("accepted",)

    def get_companies(self, user: User) -> list[dict[str, str]]:
        # Admins reach every company of the account (the reference's admin examples list them all).
        if user.is_admin:
            companies = self.context.get("account_companies")
            if companies is None:
                companies = list(Company.objects.filter(account_id=user.account_id).order_by("name", "id"))
        else:
            companies = getattr(user, "company_list", None)
            if companies is None:
                companies = list(user.companies.order_by("name", "id"))
        return [{"id": company.public_id, "name": company.name} for company in companies]


class UserCreateInputSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=User.Role.choices)
    # Company ids (COM… or numeric); required for manager and reporting users.
    companies = serializers.ListField(child=serializers.CharField(), required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["role"] != User.Role.ADMIN and not attrs.get("companies"):
            raise serializers.ValidationError({"companies": "is required for manager and reporting users"})
        return attrs


class UserUpdateInputSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=150, required=False)
    last_name = serializers.CharField(max_length=150, required=False)
    email = serializers.EmailField(required=False)
    current_password = serializers.CharField(required=False, trim_whitespace=False)
    companies = serializers.ListField(child=serializers.CharField(), required=False)
