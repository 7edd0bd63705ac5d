from __future__ import annotations

from rest_framework import serializers

from sartiq.accounts.choices import MembershipRole
from sartiq.accounts.models import Membership, Organization, User
from sartiq.api.serializers import ReadSerializer


class UserSummarySerializer(ReadSerializer):
    memoize = True  # shared by many objects of one response
    class Meta:
        model = User
        fields = ["id", "email", "full_name"]


class UserPublicSerializer(ReadSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "full_name", "is_active", "is_superuser", "is_staff", "created_at"]


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


class MembershipPublicSerializer(ReadSerializer):
    user = UserSummarySerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "organization_id", "user_id", "user", "role", "created_at", "updated_at"]

