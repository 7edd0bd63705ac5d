"""What a generation records of its engine (issue 14), as the API and the admin show it: the engine
and model, the engine's job id, the timings and the reported cost; `/generations` filters by
engine and model."""
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import client_for
from sartiq.accounts.tests.factories import UserFactory
from shootings.tests.factories import LookFactory, ShootingFactory, ShotFactory
from shots.models import Generation

pytestmark = pytest.mark.django_db


@pytest.fixture
def shot(user):
    return ShotFactory(shooting_look=LookFactory(shooting=ShootingFactory(owner=user)))


@pytest.fixture
def finished(shot):
    """A generation that ran on Replicate, as the worker records it."""
    created = timezone.now() - timedelta(minutes=3)
    generation = Generation.objects.create(
        shot=shot, status="COMPLETED", progress=100, provider="replicate", model="acme/tryon:" + "c" * 64,
        provider_job_id="rep-123", submitted_at=created + timedelta(seconds=2),
        started_at=created + timedelta(seconds=1), finished_at=created + timedelta(seconds=40),
        compute_seconds=17.25, cost=Decimal("0.024150"), cost_unit="USD")
    Generation.objects.filter(pk=generation.pk).update(created_at=created)
    generation.refresh_from_db()
    return generation


def test_a_generation_shows_where_it_ran_when_and_what_it_cost(user, finished):
    body = client_for(user).get(f"/api/v1/generations/{finished.pk}").json()
    assert {key: body[key] for key in ("provider", "engine", "model", "provider_job_id", "compute_seconds", "cost",
                                       "cost_unit")} == {
        "provider": "replicate", "engine": "replicate", "model": "acme/tryon:" + "c" * 64,
        "provider_job_id": "rep-123", "compute_seconds": 17.25, "cost": 0.02415, "cost_unit": "USD"}
    iso = {key: body[key] for key in ("queued_at", "submitted_at", "started_at", "finished_at")}
    assert iso["queued_at"] == body["created_at"]
    assert [datetime.fromisoformat(iso[key].replace("Z", "+00:00")) for key in iso] == [
        finished.created_at, finished.submitted_at, finished.started_at, finished.finished_at]


def test_a_generation_that_has_not_run_shows_empty_records(user, shot):
    generation = Generation.objects.create(shot=shot)
    body = client_for(user).get(f"/api/v1/generations/{generation.pk}").json()
    assert {key: body[key] for key in ("engine", "model", "provider_job_id", "submitted_at", "compute_seconds",
                                       "cost", "cost_unit")} == {
        "engine": "", "model": "", "provider_job_id": None, "submitted_at": None, "compute_seconds": None,
        "cost": None, "cost_unit": ""}


def test_generations_are_filtered_by_engine_and_model(user, shot, finished):
    Generation.objects.create(shot=shot, provider="fashn", model="tryon-v1.6")
    Generation.objects.create(shot=shot, provider="fashn", model="product-to-model")
    Generation.objects.create(shot=shot, provider="local")
    client = client_for(user)

    def models(query):
        response = client.get(f"/api/v1/generations?{query}")
        assert response.status_code == 200, response.content
        return sorted(g["model"] for g in response.json()["data"])

    assert models("engine=fashn") == ["product-to-model", "tryon-v1.6"]
    assert models("engine=fashn&engine=replicate") == ["acme/tryon:" + "c" * 64, "product-to-model", "tryon-v1.6"]
    assert models("engine=local") == [""]
    assert models("engine=fashn&model=tryon-v1.6") == ["tryon-v1.6"]
    assert models("model=tryon") == []  # exact, not a substring
    assert models("engine=cog") == []
    refused = client.get("/api/v1/generations?engine=midjourney")
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["query", "engine", 0]
    # Filters narrow what the caller may see, never widen it.
    assert client_for(UserFactory()).get("/api/v1/generations?engine=fashn").json()["count"] == 0


def test_the_admin_shows_the_engine_records_read_only(client, finished):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    page = client.get(reverse("admin:shots_generation_change", args=[finished.pk])).content.decode()
    for text in ("Engine", "replicate", "acme/tryon:" + "c" * 64, "rep-123", "17.25", "0.024150", "USD",
                 "Queued at", "Submitted at"):
        assert text in page, text
    assert 'name="provider_job_id"' not in page and 'name="cost"' not in page  # shown, not editable
    listing = client.get(reverse("admin:shots_generation_changelist") + "?provider=replicate").content.decode()
    assert "acme/tryon:" + "c" * 64 in listing
