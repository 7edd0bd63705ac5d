"""FASHN's hosted API (being written: issue 14)."""
from __future__ import annotations

from shots.providers.base import RemoteProvider


class FashnProvider(RemoteProvider):
    engine = "fashn"
    who = "FASHN"
