from typing import Any

from rest_framework import serializers

from accounts.models import Tag
from api.v3.filters import parse_bool
from api.v3.serializers.base import RelatedIdField, TimestampField, V3ModelSerializer

# Reference "Available Colors": name -> (text colour, background colour).
TAG_COLORS: dict[str, tuple[str, str]] = {
    "gray1": ("#464646", "#e7e7e7"),
    "gray2": ("#ffffff", "#c2c2c2"),
    "blue1": ("#0f3778", "#b5cef7"),
    "blue2": ("#ffffff", "#4583ea"),
    "cyan1": ("#0d404a", "#96d7e5"),
    "cyan2": ("#ffffff", "#23a2bd"),
    "purple1": ("#3d0d90", "#e3d6ff"),
    "purple2": ("#ffffff", "#b997ff"),
    "pink1": ("#761e3a", "#fcd3e0"),
    "pink2": ("#9a4964", "#f890b2"),
    "pink3": ("#6b323b", "#ebdbde"),
    "pink4": ("#ffffff", "#cda6ac"),
    "red1": ("#8c1b00", "#f3b2a7"),
    "red2": ("#ffffff", "#fe4a22"),
    "orange1": ("#7f3306", "#ffc8ad"),
    "orange2": ("#ffffff", "#ff7529"),
    "orange3": ("#7d4900", "#ffdfb2"),
    "orange4": ("#ffffff", "#ffae38"),
    "yellow1": ("#594d00", "#fcea7c"),
    "yellow2": ("#694f00", "#fdeebf"),
    "green1": ("#054f2f", "#b1f0d2"),
    "green2": ("#044227", "#38d790"),
    "green3": ("#015531", "#a0ddc0"),
    "green4": ("#ffffff", "#00a863"),
}


class TagSerializer(V3ModelSerializer):
    # The reference types the id as an integer (its create example shows a string,
    # checklist §5 #16); the list example and clients use integers.
    id = serializers.IntegerField(source="numeric_id", read_only=True)
    background_color = serializers.SerializerMethodField()
    company_id = RelatedIdField(source="company")
    created_at = TimestampField()

    class Meta:
        model = Tag
        fields = ("id", "name", "tag_level", "color", "background_color", "company_id", "status", "created_at")
        read_only_fields = fields

    def get_background_color(self, tag: Tag) -> str:
        return tag.background_color or tag.color


class TagCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    company_id = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    color = serializers.ChoiceField(choices=sorted(TAG_COLORS), required=False)
    # Blank means a company tag (reference "Creating a Tag").
    tag_level = serializers.ChoiceField(choices=Tag.Level.choices, required=False, allow_blank=True, allow_null=True)


class DisabledField(serializers.Field):
    """``disabled`` arrives as a boolean or as "true"/"false" (typed string in the reference)."""

    def to_internal_value(self, data: Any) -> bool:
        try:
            return parse_bool(data, "disabled")
        except Exception as exc:
            raise serializers.ValidationError("must be true or false") from exc

    def to_representation(self, value: bool) -> bool:
        return value


class TagUpdateInputSerializer(serializers.Serializer):
    """A null leaves the field as it is: a tag cannot be without a name, colour or status,
    and clients send every field of their update, unset ones as null (pycallrail)."""

    name = serializers.CharField(max_length=100, required=False, allow_null=True)
    color = serializers.ChoiceField(choices=sorted(TAG_COLORS), required=False, allow_null=True)
    disabled = DisabledField(required=False, allow_null=True)
