from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from sartiq.api.serializers import ReadSerializer

from sartiq.accounts.choices import MembershipRole
from sartiq.accounts.models import Membership, Organization, User
from sartiq.api.fields import InputSerializer, StrictCharField, StrictEmailField, optional


class UserSummarySerializer(ReadSerializer):
    memoize = True  # shared by many objects of one response
    class Meta:
        model = User
        fields = ["id", "email", "full_name"]


class UserPublicSerializer(ReadSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "full_name", "is_active", "is_superuser", "is_staff", "created_at"]


class NewPasswordField(StrictCharField):
    """A password being set: 8 to 128 characters, then Django's AUTH_PASSWORD_VALIDATORS against the
    user it will belong to (the serializer's `password_owner()`). The failures are one `value_error`
    of this field (as one Pydantic validator reports them), with the request's other errors."""

    def __init__(self, **kwargs):
        super().__init__(min_length=8, max_length=128, trim_whitespace=False, **kwargs)

    def run_validators(self, value):
        super().run_validators(value)
        try:
            password_validation.validate_password(value, self.parent.password_owner())
        except DjangoValidationError as exc:
            raise serializers.ValidationError(" ".join(exc.messages))


class UserRegisterSerializer(InputSerializer):
    class Meta:
        model = User

    email = StrictEmailField(max_length=255)
    password = NewPasswordField()
    full_name = optional(max_length=255)

    def password_owner(self) -> User:
        """The user-to-be, for the similarity check (the other fields as sent, valid or not)."""
        data = self.initial_data
        text = {name: data.get(name) if isinstance(data.get(name), str) else None for name in ("email", "full_name")}
        return User(email=(text["email"] or "").strip().lower(), full_name=text["full_name"])


class UserUpdateMeSerializer(InputSerializer):
    class Meta:
        model = User

    email = StrictEmailField(max_length=255, required=False)
    full_name = optional(max_length=255)


class UpdatePasswordSerializer(InputSerializer):
    class Meta:
        model = User
        unbound = ("current_password", "new_password")  # hashed into `password`

    current_password = StrictCharField(min_length=8, max_length=128, trim_whitespace=False)
    new_password = NewPasswordField()

    def password_owner(self) -> User:
        return self.context["request"].user


class LoginFormSerializer(InputSerializer):
    """OAuth2PasswordRequestForm: `username` is the e-mail address."""

    class Meta:
        model = None
        unbound = ("grant_type", "username", "password", "scope", "client_id", "client_secret")

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


class OrganizationCreateSerializer(InputSerializer):
    class Meta:
        model = Organization

    name = StrictCharField(max_length=255)


class OrganizationUpdateSerializer(InputSerializer):
    class Meta:
        model = Organization

    name = StrictCharField(max_length=255, required=False)


class MembershipPublicSerializer(ReadSerializer):
    user = UserSummarySerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "organization_id", "user_id", "user", "role", "created_at", "updated_at"]


class MembershipCreateSerializer(InputSerializer):
    class Meta:
        model = Membership
        unbound = ("email",)  # looked up
        null_means = ("user_id",)  # given by e-mail instead

    user_id = serializers.UUIDField(required=False, allow_null=True)
    email = StrictEmailField(max_length=255, required=False, allow_null=True)
    role = serializers.ChoiceField(MembershipRole.choices, default=MembershipRole.MEMBER)

    def validate(self, attrs):
        if bool(attrs.get("user_id")) == bool(attrs.get("email")):
            raise serializers.ValidationError("Give exactly one of user_id or email")
        return attrs


class MembershipUpdateSerializer(InputSerializer):
    class Meta:
        model = Membership

    role = serializers.ChoiceField(MembershipRole.choices)
