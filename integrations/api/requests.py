"""Integration and product-mapping request shapes, and the retailers' confirmation callback."""
import enum
import uuid
from typing import Annotated, Callable, Optional

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from pydantic import AfterValidator, Field, WithJsonSchema, field_validator

from integrations.choices import IntegrationType
from integrations.models import ExternalImagePush, ExternalIntegration, ExternalProductMapping
from integrations.secrets import check_callback_secret, check_credentials
from sartiq import outbound
from sartiq.api.requests import JSONObject, Name, RequestModel, partial, secret, text


def _unless_blank(check: Callable[[str], object]):
    """`check` of a non-empty value (an empty one clears the field)."""
    def validator(value: str) -> str:
        if value:
            check(value)  # raises ValueError
        return value
    return AfterValidator(validator)


def _url(value: str) -> None:
    try:
        URLValidator()(value)
    except DjangoValidationError as exc:
        raise ValueError(" ".join(exc.messages)) from None  # "Enter a valid URL."


class ExternalIntegrationCreate(RequestModel):
    db_model = ExternalIntegration
    null_means = ("credentials", "callback_secret")  # none; a new callback secret

    name: Name
    integration_type: IntegrationType
    endpoint_url: Annotated[text(2000), _unless_blank(_url), WithJsonSchema(
        {"anyOf": [{"type": "string", "format": "uri", "maxLength": 2000}, {"type": "string", "maxLength": 0}]})] = Field(
        "", description="https; http and internal addresses only for hosts the operator lists in "
                        "OUTBOUND_ALLOWED_HOSTS")
    credentials: Optional[Annotated[text(5000), _unless_blank(check_credentials)]] = secret(
        default=None, description="The retailer's token (sent as a Bearer token); stored encrypted, never "
                                  "returned. Required again whenever endpoint_url changes.")
    callback_secret: Optional[Annotated[text(500), _unless_blank(check_callback_secret)]] = secret(
        default=None, description="The Standard Webhooks secret (whsec_...) the retailer signs confirmation "
                                  "callbacks with; stored encrypted, never returned.")
    enabled: bool = True
    settings: JSONObject = Field(default_factory=dict)

    @field_validator("endpoint_url")
    @classmethod
    def _callable_endpoint(cls, url: str) -> str:
        """Early feedback on an endpoint the server may not call (http, user info, an internal IP
        literal); the outbound client checks the address again when it connects."""
        if url:
            try:
                outbound.check_url(url)
            except outbound.OutboundRefused as exc:
                raise ValueError(str(exc)) from None
        return url


ExternalIntegrationUpdate = partial(ExternalIntegrationCreate)


class ExternalProductMappingCreate(RequestModel):
    db_model = ExternalProductMapping

    product_id: uuid.UUID
    integration_id: uuid.UUID
    external_id: text(255) = ""
    style_code: Optional[text(255)] = None
    colour_code: Optional[text(64)] = None
    extra: JSONObject = Field(default_factory=dict)


class ExternalProductMappingUpdate(RequestModel):
    db_model = ExternalProductMapping

    external_id: text(255) = None
    style_code: Optional[text(255)] = None
    colour_code: Optional[text(64)] = None
    extra: JSONObject = None


class CallbackStatus(str, enum.Enum):
    published = "published"
    rejected = "rejected"


class Callback(RequestModel):
    """The body of a retailer's confirmation callback."""

    db_model = ExternalImagePush  # which push: looked up, not stored
    columns = {"reference": "external_reference"}
    unbound = ("idempotency_key", "status", "message")

    reference: Optional[text(255, 1)] = None
    idempotency_key: Optional[text(64, 1)] = None
    status: CallbackStatus
    message: Optional[text(2000)] = None
