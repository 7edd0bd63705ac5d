"""Generations run by the task, called directly (unit tests; the worker tests use a real worker)."""
import io
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from conftest import client_for
from outfits.models import Outfit, OutfitProduct
from sartiq.catalog.demo import figure_image, garment_image
from sartiq.catalog.models import SubjectBaseImage
from sartiq.catalog.tests.factories import (
    BackgroundPresetFactory,
    PosePresetFactory,
    ProductFactory,
    SetDesignFactory,
    StyleFactory,
    SubjectBaseImageFactory,
)
from sartiq.media.references import shown_url
from sartiq.media.services import media_create_from_bytes
from shootings.tests.factories import LookFactory, ShootingFactory, ShotFactory
from shots import providers
from shots.generation import build_request, generation_claim, generation_run
from shots.models import Generation, Prediction, ShotRevision
from shots.tasks import run_generation

pytestmark = pytest.mark.django_db


@pytest.fixture
def look(user):
    shooting = ShootingFactory(owner=user)
    product = ProductFactory(owner=user, name="Linen Shirt", colour="blue")
    cover = media_create_from_bytes(owner=user, data=garment_image("Shirt", (40, 90, 160)))
    product.cover_image_media, product.cover_image_url = cover, cover.url
    product.save()
    look = LookFactory(shooting=shooting, product=product, width=300, height=400,
                       subject__lora_trigger="sartiq_ava", subject__positive_prompt="natural light",
                       subject__negative_prompt="blurry", style=StyleFactory(owner=user, prompt="clean studio"),
                       set_design=SetDesignFactory(owner=user, description="white cyclorama",
                                                   background_preset=BackgroundPresetFactory(owner=user,
                                                                                             color="#eeeeee")),
                       instructions="sleeves rolled")
    outfit = Outfit.objects.create(shooting_look=look, outfit_instruction="tucked in")
    OutfitProduct.objects.create(outfit=outfit, product=ProductFactory(owner=user, name="Chinos"))
    look.outfit = outfit
    look.save()
    return look


@pytest.fixture
def shot(look, user):
    shot = ShotFactory(shooting_look=look, shot_type__name="Front", shot_type__prompt="full body front view")
    base = media_create_from_bytes(owner=user, data=figure_image("Ava", (176, 120, 98)))
    SubjectBaseImageFactory(subject=look.subject, shot_type=shot.shot_type, image_url=base.url, image_media=base)
    PosePresetFactory(owner=user, shot_type=shot.shot_type, prompt="hands in pockets")
    look.pose_presets.set(type(shot.shot_type).objects.none())  # no pose on the look: none in the prompt
    return shot


def test_the_prompt_and_inputs_come_from_the_look(shot):
    request = build_request(Generation.objects.create(shot=shot))
    for part in ("sartiq_ava", "natural light", "wearing Linen Shirt in blue", "with Chinos", "tucked in",
                 "full body front view", "white cyclorama", "clean studio", "sleeves rolled"):
        assert part in request.prompt
    assert request.negative_prompt == "blurry"
    assert (request.width, request.height) == (300, 400) and request.background == "#eeeeee"
    assert request.base_image and len(request.product_images) == 1  # Chinos has no stored image


def test_a_generation_produces_one_proposal_revision(user, shot):
    generation = Generation.objects.create(shot=shot, requested_by=user)
    assert run_generation.apply(args=[str(generation.pk)]).get() == "completed"
    generation.refresh_from_db()
    assert (generation.status, generation.progress, generation.attempts) == ("COMPLETED", 100, 1)
    assert generation.started_at and generation.finished_at and generation.provider == "local"
    revision = ShotRevision.objects.get(shot=shot)
    assert generation.revision == revision and revision.shot_status == "PROPOSAL" and revision.owner == user
    image = revision.images.get()
    prediction = Prediction.objects.get(generation=generation)
    assert (image.source_type, image.prediction_id, image.image_media_id) == ("PREDICTION", prediction.pk,
                                                                              prediction.media_id)
    rendered = Image.open(prediction.media.file)
    assert rendered.size == (300, 400)
    body = client_for(user).get(f"/api/v1/shots/{shot.pk}").json()
    assert (body["status"], body["current_revision_id"]) == ("PROPOSAL", str(revision.pk))


def test_a_duplicate_message_produces_nothing_more(user, shot):
    generation = Generation.objects.create(shot=shot)
    run_generation.apply(args=[str(generation.pk)])
    assert generation_run(generation_id=generation.pk).state == "skipped"
    assert ShotRevision.objects.count() == 1 and Prediction.objects.count() == 1


def test_a_live_claim_is_not_taken_and_an_expired_one_is(shot):
    generation = Generation.objects.create(shot=shot)
    token = generation_claim(generation.pk)
    assert isinstance(token, uuid.UUID)
    busy = generation_claim(generation.pk)
    assert busy.state == "busy" and busy.retry_in > 1
    Generation.objects.filter(pk=generation.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    taken = generation_claim(generation.pk)
    assert isinstance(taken, uuid.UUID) and taken != token
    assert Generation.objects.get(pk=generation.pk).attempts == 2


class FencingProvider:
    """The provider of a worker that loses its claim while generating (taken over by another)."""

    name = "local"

    def __init__(self, generation_id):
        self.generation_id = generation_id

    def generate(self, request, progress):
        Generation.objects.filter(pk=self.generation_id).update(claim_token=uuid.uuid4())
        progress(50)
        return []


def test_a_worker_that_lost_its_claim_writes_nothing(shot, monkeypatch):
    generation = Generation.objects.create(shot=shot)
    monkeypatch.setattr(providers, "get_provider", lambda config: FencingProvider(generation.pk))
    monkeypatch.setattr("shots.generation.get_provider", lambda config: FencingProvider(generation.pk))
    assert generation_run(generation_id=generation.pk).state == "skipped"
    assert not ShotRevision.objects.exists()
    assert Generation.objects.get(pk=generation.pk).status == "RUNNING"  # the other holder's to finish


class FailingProvider:
    name = "http"

    def __init__(self, error):
        self.error, self.calls = error, 0

    def generate(self, request, progress):
        self.calls += 1
        raise self.error


def test_transient_errors_retry_then_fail_with_the_reason(shot, monkeypatch, settings):
    settings.WORK_MAX_RETRIES = 2
    provider = FailingProvider(providers.TransientProviderError("The provider answered 503"))
    monkeypatch.setattr("shots.generation.get_provider", lambda config: provider)
    generation = Generation.objects.create(shot=shot)
    assert run_generation.apply(args=[str(generation.pk)]).get() == "failed"
    generation.refresh_from_db()
    assert provider.calls == 3 and generation.attempts == 3
    assert generation.status == "FAILED" and "503" in generation.error and "3 attempts" in generation.error


def test_permanent_errors_fail_at_once(shot, monkeypatch):
    provider = FailingProvider(providers.PermanentProviderError("The provider refused the request (400)"))
    monkeypatch.setattr("shots.generation.get_provider", lambda config: provider)
    generation = Generation.objects.create(shot=shot)
    assert run_generation.apply(args=[str(generation.pk)]).get() == "failed"
    generation.refresh_from_db()
    assert provider.calls == 1
    assert (generation.status, generation.error) == ("FAILED", "The provider refused the request (400)")


def test_a_cancelled_generation_is_not_run(user, shot):
    generation = Generation.objects.create(shot=shot)
    response = client_for(user).post(f"/api/v1/generations/{generation.pk}/cancel")
    assert response.status_code == 200 and response.json()["status"] == "CANCELLED"
    assert run_generation.apply(args=[str(generation.pk)]).get() == "skipped"
    assert not ShotRevision.objects.exists()
    again = client_for(user).post(f"/api/v1/generations/{generation.pk}/cancel")
    assert (again.status_code, again.json()) == (400, {"detail": "The generation is already cancelled"})


def test_a_base_image_generation_gives_the_subject_its_base_image(user, look):
    shot = ShotFactory(shooting_look=look)
    generation = Generation.objects.create(shot=shot, kind="BASE_IMAGE")
    assert run_generation.apply(args=[str(generation.pk)]).get() == "completed"
    base = SubjectBaseImage.objects.get(subject=look.subject, shot_type=shot.shot_type)
    prediction = Prediction.objects.get(generation=generation)
    # The row holds the media; its URL is shown fresh (signed) rather than stored.
    assert base.image_media == prediction.media and shown_url(base.image_url, base.image_media) == prediction.media.url
    assert not ShotRevision.objects.exists()


def test_generations_api(user, other_user, shot, org):
    client = client_for(user)
    started = client.post(f"/api/v1/shots/{shot.pk}/generate", {"generations_count": 2}, format="json").json()
    assert len(started["generation_ids"]) == 2 and started["id"] == str(shot.pk)
    generation = Generation.objects.get(pk=started["generation_ids"][0])
    run_generation.apply(args=[str(generation.pk)])
    body = client.get(f"/api/v1/generations/{generation.pk}").json()
    assert (body["status"], body["progress"], body["shot_id"], body["look_id"]) == (
        "COMPLETED", 100, str(shot.pk), str(shot.shooting_look_id))
    assert len(body["predictions"]) == 1 and body["predictions"][0]["image_url"]
    page = client.get(f"/api/v1/generations/?shot_id={shot.pk}").json()
    assert page["count"] == 2
    assert client.get("/api/v1/generations/?status=PENDING").json()["count"] == 1
    assert client.get(f"/api/v1/generations/?look_id={shot.shooting_look_id}&status=COMPLETED").json()["count"] == 1
    assert client.get(f"/api/v1/generations/?shooting_id={uuid.uuid4()}").json()["count"] == 0
    assert client_for(other_user).get(f"/api/v1/generations/{generation.pk}").status_code == 403
    assert client_for(other_user).get("/api/v1/generations/").json()["count"] == 0
    assert client.post(f"/api/v1/shots/{shot.pk}/generate", {"generations_count": 11}, format="json").status_code == 422


def test_local_rendering_is_a_real_image_using_the_inputs():
    base = figure_image("Leo", (120, 90, 70))
    request = providers.GenerationRequest(prompt="test", negative_prompt="", width=200, height=260,
                                          base_image=base, product_images=[garment_image("Tee", (200, 20, 20))])
    progress = []
    output = providers.LocalImageProvider().generate(request, progress.append)[0]
    image = Image.open(io.BytesIO(output.data)).convert("RGB")
    assert image.size == (200, 260) and progress[-1] < 100
    # The red garment is on the picture.
    assert any(r > 150 and g < 80 and b < 80 for r, g, b in image.get_flattened_data())
