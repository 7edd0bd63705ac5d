"""A fake OVS on 127.0.0.1 for `make fuzz`: the seeded integration points here, so exports reach a
real HTTP server without leaving the machine (OVS's contract: docs/integrations.md)."""
from __future__ import annotations

import collections
import itertools

from tests.fake_http import FakeService


class FakeRetailer(FakeService):
    """Files every image it receives (by Idempotency-Key) and reports each one published."""

    def __init__(self):
        super().__init__()
        self.requests = collections.deque(maxlen=50)  # a long run sends thousands of images: keep the last few
        self.images: dict[str, str] = {}
        self.counter = itertools.count(1)
        self.route("POST /api/images", self.upload)

    def upload(self, request):
        key = request["headers"].get("Idempotency-Key") or f"anonymous-{len(self.images)}"
        if key not in self.images:
            self.images[key] = f"ovs-{next(self.counter)}"
            self.route(f"GET /api/images/{self.images[key]}", self.status)
        return 201, {"id": self.images[key], "status": "received"}, {}

    def status(self, request):
        return 200, {"status": "published", "message": None}, {}
