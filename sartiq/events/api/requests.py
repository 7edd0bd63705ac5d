"""The event feed's query and the webhook endpoints' bodies."""
import uuid
from typing import Annotated, Optional

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from pydantic import AfterValidator, Field, WithJsonSchema

from sartiq import outbound
from sartiq.api.requests import RequestModel, int_range, partial, text
from sartiq.events.catalogue import SUBSCRIPTIONS, check_subscription
from sartiq.events.models import WebhookEndpoint


class EventFeedQuery(RequestModel):
    db_model = None
    unbound = ("after", "types", "shooting_id", "limit")

    after: Optional[text(64)] = Field(None, description="The `next_cursor` of the previous page; none: from the start")
    types: list[text(64, 1)] = Field(default_factory=list, description="Event types (`shot.approved`) or prefixes "
                                                                        "(`shot.*`); repeat for several")
    shooting_id: Optional[uuid.UUID] = None
    limit: int_range(1, 1000) = 100


# --- webhook endpoints ------------------------------------------------------------------------------
def _deliverable(url: str) -> str:
    """A URL the server may post to as far as the URL tells (https; http and internal addresses only
    to hosts the operator lists; no user name or password); the address is checked again at each
    delivery, where a host name may resolve elsewhere."""
    try:
        URLValidator(schemes=["http", "https"])(url)
    except DjangoValidationError as exc:
        raise ValueError(" ".join(exc.messages)) from None  # "Enter a valid URL."
    try:
        outbound.check_url(url)
    except outbound.OutboundRefused as exc:
        raise ValueError(str(exc)) from None
    return url


Subscription = Annotated[text(64, 1), AfterValidator(check_subscription),
                         WithJsonSchema({"type": "string", "enum": list(SUBSCRIPTIONS)})]


class WebhookEndpointCreate(RequestModel):
    db_model = WebhookEndpoint

    url: Annotated[text(2000, 1), AfterValidator(_deliverable)] = Field(
        description="Where events are posted: https (http only to hosts the operator lists in "
                    "OUTBOUND_ALLOWED_HOSTS), no credentials in the URL, a public address")
    events: Annotated[list[Subscription], Field(min_length=1, max_length=100),
                      AfterValidator(lambda items: list(dict.fromkeys(items)))] = Field(
        description="Event types (`shot.approved`), a group's prefix (`shot.*`) or `*` for every event")
    description: text(500) = ""
    enabled: bool = True


WebhookEndpointUpdate = partial(WebhookEndpointCreate)
