"""The asynchronous work on a real Celery worker (a subprocess) and a real Redis broker.

The test process sends tasks exactly as the API does (after commit); the worker runs them on the
test database. Covered: the end-to-end look flow (outfit proposals, base images, shot generations
→ PROPOSAL revisions), a message delivered several times, a worker killed mid-generation, and the
worker's outbound guard (OUTBOUND_ALLOWED_HOSTS from its environment).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest
from django.conf import settings
from django.db import connection

from conftest import client_for
from integrations.models import ExternalImagePush, ExternalIntegration, ExternalProductMapping
from integrations.tests.test_exports import Retailer
from outfits.models import Outfit
from sartiq.catalog.models import SubjectBaseImage
from sartiq.catalog.tests import factories as f
from sartiq.celery import app as celery_app
from sartiq.events.models import Event
from shootings.tests.factories import LookFactory, ShootingFactory, ShotFactory, add_revision
from shots.models import Generation, Prediction, Shot, ShotRevision
from shots.tasks import run_generation
from tests.fake_http import FakeService
from tests.servers import database_url

pytestmark = [pytest.mark.broker, pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]
ROOT = Path(__file__).resolve().parent.parent



@pytest.fixture
def broker(redis_server):
    """Point this process's Celery app at the test Redis (and back to memory afterwards)."""
    previous = celery_app.conf.broker_url

    def use(url):
        celery_app.conf.broker_url = url
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    use(redis_server.url)
    yield redis_server.url
    use(previous)


@contextmanager
def celery_worker(broker_url: str, tmp_path: Path, concurrency: int = 1, **env_overrides):
    """A `celery worker` subprocess on the test database, ready when this yields."""
    log = tmp_path / "worker.log"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sartiq.test_settings", "DATABASE_URL": database_url(),
           "TEST_CELERY_BROKER_URL": broker_url, "TEST_MEDIA_ROOT": str(settings.MEDIA_ROOT),
           "SECRET_KEY": settings.SECRET_KEY, **{k: str(v) for k, v in env_overrides.items()}}
    command = [sys.executable, "-m", "celery", "-A", "sartiq", "worker", "--pool", "prefork",
               "--concurrency", str(concurrency), "-Q", "default,generation,styling,integrations",
               "--loglevel", "INFO", "--without-gossip", "--without-mingle", "-n", f"test-{os.getpid()}@%h"]
    with open(log, "wb") as output:
        worker = subprocess.Popen(command, env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while b" ready." not in log.read_bytes():
            assert worker.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"the worker did not start:\n{log.read_text()}"
            time.sleep(0.2)
        worker.log = log
        yield worker
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        connection.close()  # a fresh connection for the flush after the test


def wait_for(condition, timeout: float = 90, worker=None, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            log = worker.log.read_text()[-4000:] if worker is not None else ""
            raise AssertionError(f"timed out waiting for {what}\n{log}")
        time.sleep(0.2)


def test_look_flow_end_to_end_on_a_real_worker(user, broker, tmp_path):
    front = f.ShotTypeFactory(owner=user, name="Front", view_angle="FRONT")
    back = f.ShotTypeFactory(owner=user, name="Back", view_angle="BACK")
    subject = f.SubjectFactory(owner=user, gender="FEMALE")
    dress = f.ProductFactory(owner=user, name="Dress", gender="FEMALE", placement="FULL_BODY")
    f.ProductFactory(owner=user, name="Trench", gender="UNISEX", placement="OUTERWEAR")
    f.ProductFactory(owner=user, name="Boots", gender="FEMALE", placement="FOOTWEAR")
    # Enough for three distinct outfits (2 outerwear x 2 footwear): the proposals differ (issue #17).
    f.ProductFactory(owner=user, name="Blazer", gender="UNISEX", placement="OUTERWEAR")
    f.ProductFactory(owner=user, name="Loafers", gender="UNISEX", placement="FOOTWEAR")
    shooting = ShootingFactory(owner=user)
    client = client_for(user)
    with celery_worker(broker, tmp_path, concurrency=2) as worker:
        created = client.post(f"/api/v1/shootings/{shooting.pk}/looks", {
            "product_ids": [str(dress.pk)], "subject_ids": [str(subject.pk)],
            "shot_type_ids": [str(front.pk), str(back.pk)], "generate_outfit": True, "generate_base_images": True,
        }, format="json").json()
        look_id = created["looks"][0]["id"]
        assert created["total_generations_created"] == 2

        def settled():
            return (not Outfit.objects.filter(shooting_look_id=look_id, generation_status="PENDING").exists()
                    and not Generation.objects.filter(status__in=["PENDING", "RUNNING"]).exists())

        wait_for(settled, worker=worker, what="outfit proposals and base images")
        proposals = Outfit.objects.filter(shooting_look_id=look_id)
        assert proposals.count() == 3 and set(proposals.values_list("generation_status", flat=True)) == {"COMPLETED"}
        assert all(p.outfit_product_links.exists() for p in proposals)
        assert len({frozenset(p.outfit_product_links.values_list("product_id", flat=True)) for p in proposals}) == 3
        assert set(SubjectBaseImage.objects.filter(subject=subject).values_list("shot_type_id", flat=True)) == {
            front.pk, back.pk}

        started = client.post(f"/api/v1/shootings/looks/{look_id}/start-generations",
                              {"generations_per_shot_type": 2}, format="json").json()
        assert len(started["generation_ids"]) == 2  # the back view is skipped
        wait_for(lambda: Generation.objects.filter(pk__in=started["generation_ids"], status="COMPLETED").count() == 2,
                 worker=worker, what="shot generations")
    look = client.get(f"/api/v1/shootings/looks/{look_id}").json()
    front_shot = next(s for s in look["shots"] if s["shot_type"]["name"] == "Front")
    back_shot = next(s for s in look["shots"] if s["shot_type"]["name"] == "Back")
    assert front_shot["status"] == "PROPOSAL" and len(front_shot["revisions"]) == 2
    assert all(r["images"][0]["source_type"] == "PREDICTION" and r["effective_image_url"]
               for r in front_shot["revisions"])
    assert back_shot["status"] == "PENDING" and back_shot["revisions"] == []
    progress = client.get(f"/api/v1/generations/{started['generation_ids'][0]}").json()
    assert (progress["status"], progress["progress"]) == ("COMPLETED", 100)


def test_a_message_delivered_several_times_gives_one_result(user, broker, tmp_path):
    shot = ShotFactory(shooting_look__shooting=ShootingFactory(owner=user))
    generation = Generation.objects.create(shot=shot)
    with celery_worker(broker, tmp_path, concurrency=2) as worker:
        for _ in range(4):
            run_generation.delay(str(generation.pk))
        wait_for(lambda: Generation.objects.get(pk=generation.pk).status == "COMPLETED", worker=worker,
                 what="the generation")
        time.sleep(2)  # let the duplicates be consumed
        assert b"succeeded" in worker.log.read_bytes()
    assert ShotRevision.objects.filter(shot=shot).count() == 1
    assert Prediction.objects.filter(generation=generation).count() == 1
    assert Generation.objects.get(pk=generation.pk).attempts == 1


def test_a_generated_revision_ends_checked_and_a_failed_one_is_regenerated_on_a_real_worker(user, broker, tmp_path):
    """The worker stores a generation's revision, then (after commit) runs its quality checks; with
    guidelines that regenerate once and a threshold no rendering meets, the FAILED revision starts
    one more generation, whose revision is checked too, and that is the end."""
    guidelines = f.ShootingGuidelinesFactory(owner=user, quality_thresholds={"sharpness": 100000},
                                             quality_auto_regenerate=1)
    look = LookFactory(shooting=ShootingFactory(owner=user, default_guidelines=guidelines), width=300, height=400)
    shot = ShotFactory(shooting_look=look)
    SubjectBaseImage.objects.create(subject=look.subject, shot_type=shot.shot_type, image_url="")
    generation = Generation.objects.create(shot=shot, requested_by=user)

    def settled():
        revisions = ShotRevision.objects.filter(shot=shot)
        return (revisions.count() == 2 and not revisions.filter(quality_status="PENDING").exists()
                and not Generation.objects.filter(shot=shot, status__in=["PENDING", "RUNNING"]).exists())

    with celery_worker(broker, tmp_path) as worker:
        run_generation.delay(str(generation.pk))
        wait_for(settled, worker=worker, what="two checked revisions")
        time.sleep(1)  # nothing more comes
    first, second = ShotRevision.objects.filter(shot=shot).order_by("version")
    for revision in (first, second):
        assert revision.quality_status == revision.quality["status"] == "FAILED"
        assert [check["name"] for check in revision.quality["checks"]] == [
            "garment_colour", "sharpness", "size", "background", "exposure", "duplicate"]
    assert Generation.objects.filter(shot=shot).count() == 2
    assert Shot.objects.get(pk=shot.pk).quality_regenerations == 1
    events = list(Event.objects.filter(type="revision.quality_checked").order_by("occurred_at").values_list(
        "data", flat=True))
    assert [event["status"] for event in events] == ["FAILED", "FAILED"]
    assert events[0]["regeneration"]["number"] == 1 and "spent" in events[1]["regeneration"]["skipped"]


def test_a_worker_killed_mid_generation_loses_nothing_and_duplicates_nothing(user, broker, tmp_path):
    look = LookFactory(shooting=ShootingFactory(owner=user))
    shot = ShotFactory(shooting_look=look)
    generation = Generation.objects.create(shot=shot)
    with celery_worker(broker, tmp_path, concurrency=1, LOCAL_PROVIDER_DELAY_SECONDS=4,
                       WORK_LEASE_SECONDS=2) as worker:
        run_generation.delay(str(generation.pk))
        wait_for(lambda: Generation.objects.filter(pk=generation.pk, status="RUNNING", progress__gt=0).exists(),
                 worker=worker, what="the generation to run")
        children = psutil.Process(worker.pid).children(recursive=True)
        assert len(children) == 1
        children[0].send_signal(signal.SIGKILL)  # the pool process dies in the middle of the work
        wait_for(lambda: Generation.objects.get(pk=generation.pk).status == "COMPLETED", timeout=120,
                 worker=worker, what="the redelivered generation")
        assert b"WorkerLostError" in worker.log.read_bytes() or b"lost" in worker.log.read_bytes()
    generation.refresh_from_db()
    assert generation.attempts == 2  # the killed attempt and the one that completed
    assert ShotRevision.objects.filter(shot=shot).count() == 1
    assert Prediction.objects.filter(generation=generation).count() == 1


def test_the_worker_pushes_only_to_hosts_it_may_reach(user, broker, tmp_path):
    """One export to two integrations: the retailer the worker's environment lists gets the image;
    the one on an internal address the tenant stored fails at once and is never contacted."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from sartiq.media.models import MediaResource
    from sartiq.media.tests.factories import png_bytes

    look = LookFactory(shooting=ShootingFactory(owner=user))
    revision = add_revision(ShotFactory(shooting_look=look), "APPROVED")
    image = revision.images.first()
    image.source_type = "PREDICTION"
    image.image_media = MediaResource.objects.create(owner=user, file=default_storage.save(
        "r/w.png", ContentFile(png_bytes((40, 50)))), content_hash="0", extension="png", file_size=1)
    image.save()
    with Retailer() as retailer, FakeService() as internal:
        for name, url in (("Listed", retailer.url), ("Internal", f"https://localhost:{internal.port}")):
            integration = ExternalIntegration.objects.create(owner=user, name=name, integration_type="OVS",
                                                             endpoint_url=url)
            ExternalProductMapping.objects.create(product=look.product, integration=integration)
        with celery_worker(broker, tmp_path, OUTBOUND_ALLOWED_HOSTS=retailer.allowed) as worker:
            assert client_for(user).post(f"/api/v1/shots/revisions/{revision.pk}/export").json()["exports_created"] == 2
            wait_for(lambda: not ExternalImagePush.objects.filter(push_status__in=["PENDING", "IN_PROGRESS"]).exists(),
                     worker=worker, what="the pushes")
        assert len(retailer.images) == 1 and internal.connections == 0
    pushes = {p.integration.name: p for p in ExternalImagePush.objects.select_related("integration")}
    assert pushes["Listed"].push_status == "AWAITING_CONFIRMATION"
    assert (pushes["Internal"].push_status, pushes["Internal"].attempts, pushes["Internal"].error_message) == (
        "FAILED", 1, "OVS refused: The destination is not allowed: it is not a public internet address")
