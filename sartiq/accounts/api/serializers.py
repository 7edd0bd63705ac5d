from __future__ import annotations

from rest_framework import serializers

from sartiq.api.serializers import ReadSerializer

from sartiq.accounts.choices import MembershipRole
from sartiq.accounts.models import Membership, Organization, User
from sartiq.api.fields import StrictCharField, StrictEmailField, optional


class UserSummarySerializer(ReadSerializer):
    memoize = True  # shared by many objects of one response
    class Meta:
        model = User
        fields = ["id", "email", "full_name"]


class UserPublicSerializer(ReadSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "full_name", "is_active", "is_superuser", "is_staff", "created_at"]


class UserRegisterSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=255)
    password = StrictCharField(min_length=8, max_length=128, trim_whitespace=False)
    full_name = optional(max_length=255)


class UserUpdateMeSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=255, required=False)
    full_name = optional(max_length=255)


class UpdatePasswordSerializer(serializers.Serializer):
    current_password = StrictCharField(min_length=8, max_length=128, trim_whitespace=False)
    new_password = StrictCharField(min_length=8, max_length=128, trim_whitespace=False)


class LoginFormSerializer(serializers.Serializer):
    """OAuth2PasswordRequestForm: `username` is the e-mail address."""

    grant_type = serializers.RegexField(r"^password$", required=False, allow_null=True)
    username = StrictCharField(trim_whitespace=False)
    password = StrictCharField(trim_whitespace=False)
    scope = StrictCharField(required=False, allow_blank=True, default="")
    client_id = optional()
    client_secret = optional()


class TokenSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    token_type = serializers.CharField(default="bearer")
    expires_in = serializers.IntegerField()


class OrganizationPublicSerializer(ReadSerializer):
    role = serializers.ChoiceField(MembershipRole.choices, read_only=True, allow_null=True, help_text="The caller's role")
    members_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Organization
        fields = ["id", "name", "created_at", "updated_at", "role", "members_count"]


class OrganizationCreateSerializer(serializers.Serializer):
    name = StrictCharField(max_length=255)


class OrganizationUpdateSerializer(serializers.Serializer):
    name = StrictCharField(max_length=255, required=False)


class MembershipPublicSerializer(ReadSerializer):
    user = UserSummarySerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "organization_id", "user_id", "user", "role", "created_at", "updated_at"]


class MembershipCreateSerializer(serializers.Serializer):
    user_id = serializers.UUIDField(required=False, allow_null=True)
    email = StrictEmailField(max_length=255, required=False, allow_null=True)
    role = serializers.ChoiceField(MembershipRole.choices, default=MembershipRole.MEMBER)

    def validate(self, attrs):
        if bool(attrs.get("user_id")) == bool(attrs.get("email")):
            raise serializers.ValidationError("Give exactly one of user_id or email")
        return attrs


class MembershipUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(MembershipRole.choices)
