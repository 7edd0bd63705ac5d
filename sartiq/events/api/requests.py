"""The event feed's query."""
import uuid
from typing import Optional

from pydantic import Field

from sartiq.api.requests import RequestModel, int_range, text


class EventFeedQuery(RequestModel):
    db_model = None
    unbound = ("after", "types", "shooting_id", "limit")

    after: Optional[text(64)] = Field(None, description="The `next_cursor` of the previous page; none: from the start")
    types: list[text(64, 1)] = Field(default_factory=list, description="Event types (`shot.approved`) or prefixes "
                                                                        "(`shot.*`); repeat for several")
    shooting_id: Optional[uuid.UUID] = None
    limit: int_range(1, 1000) = 100
