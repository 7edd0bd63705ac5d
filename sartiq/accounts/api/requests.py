"""Account request shapes: login form, sign-up, the caller's profile and password, organizations
and their members."""
import uuid
from typing import Annotated, Optional

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from pydantic import AfterValidator, BeforeValidator, ValidationInfo, WithJsonSchema, field_validator, model_validator

from sartiq.accounts.choices import MembershipRole
from sartiq.accounts.models import Membership, Organization, User
from sartiq.api.requests import Name, RequestModel, pattern, text


def _email(value: str) -> str:
    try:
        validate_email(value)
    except DjangoValidationError as exc:
        raise ValueError(" ".join(exc.messages)) from None  # "Enter a valid email address."
    return value


Email = Annotated[text(255, 1), AfterValidator(_email),
                  WithJsonSchema({"type": "string", "format": "email", "minLength": 1, "maxLength": 255})]
Password = text(128, 8)


def _check_new_password(password: str, owner: User) -> str:
    """Django's AUTH_PASSWORD_VALIDATORS against the user the password will belong to; the failures
    are one `value_error` of the field (as one Pydantic validator reports them)."""
    try:
        password_validation.validate_password(password, owner)
    except DjangoValidationError as exc:
        raise ValueError(" ".join(exc.messages)) from None
    return password


class UserRegister(RequestModel):
    db_model = User

    email: Email
    password: Password
    full_name: Optional[text(255)] = None

    @field_validator("password")
    @classmethod
    def _new_password(cls, password: str, info: ValidationInfo) -> str:
        # The user-to-be, for the similarity check: the other fields as sent, valid or not.
        sent = (info.context or {}).get("body") or {}
        text_of = {name: sent.get(name) if isinstance(sent.get(name), str) else None for name in ("email", "full_name")}
        owner = User(email=(text_of["email"] or "").strip().lower(), full_name=text_of["full_name"])
        return _check_new_password(password, owner)


class UserUpdateMe(RequestModel):
    db_model = User

    email: Email = None
    full_name: Optional[text(255)] = None


class UpdatePassword(RequestModel):
    db_model = User
    unbound = ("current_password", "new_password")  # hashed into `password`

    current_password: Password
    new_password: Password

    @field_validator("new_password")
    @classmethod
    def _new_password(cls, password: str, info: ValidationInfo) -> str:
        return _check_new_password(password, info.context["request"].user)


class LoginForm(RequestModel):
    """OAuth2PasswordRequestForm: `username` is the e-mail address."""

    db_model = None  # nothing is stored as sent
    unbound = ("grant_type", "username", "password", "scope", "client_id", "client_secret")

    # An empty form value is no grant type.
    grant_type: Annotated[Optional[Annotated[text(None, 1), *pattern(
        r"^password$", "This value does not match the required pattern.",
        {"type": "string", "minLength": 1, "pattern": "^password$"})]],
        BeforeValidator(lambda value: None if value == "" else value)] = None
    username: text(None, 1)
    password: text(None, 1)
    scope: text(None) = ""
    client_id: Optional[text(None)] = None
    client_secret: Optional[text(None)] = None


class OrganizationCreate(RequestModel):
    db_model = Organization

    name: Name


class OrganizationUpdate(RequestModel):
    db_model = Organization

    name: Name = None


class MembershipCreate(RequestModel):
    db_model = Membership
    unbound = ("email",)  # looked up
    null_means = ("user_id",)  # given by e-mail instead

    user_id: Optional[uuid.UUID] = None
    email: Optional[Email] = None
    role: MembershipRole = MembershipRole.MEMBER

    @model_validator(mode="after")
    def _user_id_or_email(self):
        if bool(self.user_id) == bool(self.email):
            raise ValueError("Give exactly one of user_id or email")
        return self


class MembershipUpdate(RequestModel):
    db_model = Membership

    role: MembershipRole
