"""Replicate's prediction API and a self-hosted Cog container's (being written: issue 14)."""
from __future__ import annotations

from shots.providers.base import RemoteProvider


class ReplicateProvider(RemoteProvider):
    engine = "replicate"
    who = "Replicate"


class CogProvider(RemoteProvider):
    engine = "cog"
    who = "The Cog container"
    pollable = False
