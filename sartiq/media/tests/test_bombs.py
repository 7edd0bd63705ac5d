"""Decompression bombs (issue #10, finding 8): images are bounded from their header, before any
pixel is decoded, on every path that opens one (uploads, downloads, the local provider)."""
import base64
import io
import os
import threading
import time
from urllib.parse import urlparse

import psutil
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from conftest import client_for
from sartiq.media.models import MediaResource
from sartiq.media.tests.factories import png_bomb, png_bytes
from shootings.tests.factories import LookFactory, ShootingFactory, ShotFactory, add_revision
from shots.generation import generation_run
from shots.models import Generation, ShotRevision

pytestmark = pytest.mark.django_db


@pytest.fixture
def shot(user):
    return ShotFactory(shooting_look__shooting=ShootingFactory(owner=user))


def media_upload(client, data: bytes, content_type="image/png"):
    return client.post("/api/v1/media-resources/", {"file": SimpleUploadedFile("x.png", data, content_type)},
                       format="multipart")


def local_upload(client, shot, data: bytes):
    target = client.get(f"/api/v1/shots/revisions/upload-url?filename=x.png&content_type=image/png"
                        f"&shot_id={shot.pk}").json()
    return client.generic("PUT", urlparse(target["upload_url"]).path, data, content_type="image/png")


def revision_with(client, shot, data: bytes):
    return client.post(f"/api/v1/shots/{shot.pk}/revision", {
        "shot_status": "PROPOSAL", "images": [{"image_data": base64.b64encode(data).decode()}]}, format="json")


def stored_files() -> set:
    root = default_storage.location
    return {os.path.join(d, f) for d, _, files in os.walk(root) for f in files}


class PeakRss:
    """Samples this process's resident memory in a thread; `peak` is the most seen above the start."""

    def __enter__(self):
        self.process, self.start, self.peak, self.running = psutil.Process(), 0, 0, True
        self.start = self.process.memory_info().rss
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self):
        while self.running:
            self.peak = max(self.peak, self.process.memory_info().rss - self.start)
            time.sleep(0.005)

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()


def test_a_bomb_is_refused_on_every_upload_path_before_it_is_decoded(api, shot):
    bomb = png_bomb()  # 13000 x 13000: ~480 KiB of file, ~500 MB decoded
    assert len(bomb) < 700 * 1024
    before = stored_files()
    with PeakRss() as memory:
        responses = [media_upload(api, bomb), local_upload(api, shot, bomb), revision_with(api, shot, bomb)]
    for response in responses:
        assert response.status_code == 422, response.content
        assert response.json()["detail"][0]["msg"] == "Value error, Image is too large"
    assert memory.peak < 100 * 1024 * 1024, f"peak {memory.peak >> 20} MiB above the start"
    assert not MediaResource.objects.exists() and not ShotRevision.objects.exists()
    assert stored_files() == before  # nothing written


def test_the_bounds_are_settings(api, settings):
    settings.MEDIA_MAX_DIMENSION = 30
    assert media_upload(api, png_bytes((40, 10))).json()["detail"][0]["msg"] == "Value error, Image is too large"
    assert media_upload(api, png_bytes((30, 10))).status_code == 200
    settings.MEDIA_MAX_DIMENSION, settings.MEDIA_MAX_PIXELS = 1000, 500
    assert media_upload(api, png_bytes((30, 20))).status_code == 422
    assert media_upload(api, png_bytes((20, 20))).status_code == 200


def encoded(image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


FRAMES = [Image.new("RGB", (16, 16), colour) for colour in ((255, 0, 0), (0, 255, 0))]
REFUSED = {
    "gif": (encoded(FRAMES[0], "GIF"), "File is not a valid image"),
    "tiff": (encoded(FRAMES[0], "TIFF"), "File is not a valid image"),
    "bmp": (encoded(FRAMES[0], "BMP"), "File is not a valid image"),
    "animated png": (encoded(FRAMES[0], "PNG", save_all=True, append_images=FRAMES[1:]),
                     "Animated images are not accepted"),
    "animated webp": (encoded(FRAMES[0], "WEBP", save_all=True, append_images=FRAMES[1:]),
                      "Animated images are not accepted"),
}


@pytest.mark.parametrize("data, message", REFUSED.values(), ids=REFUSED.keys())
def test_only_still_jpeg_png_webp_and_avif_are_accepted(api, data, message):
    response = media_upload(api, data)
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == f"Value error, {message}"
    assert not MediaResource.objects.exists()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "AVIF"])
def test_still_images_of_the_accepted_formats_are_stored(api, fmt):
    response = media_upload(api, encoded(FRAMES[0], fmt))
    assert response.status_code == 200, response.json()
    assert response.json()["width"] == 16


def stored_bomb(owner) -> MediaResource:
    """A bomb already in storage (written before the bounds existed): it must never be decoded."""
    name = default_storage.save("legacy/bomb.png", ContentFile(png_bomb()))
    return MediaResource.objects.create(owner=owner, file=name, content_hash="0", extension="png",
                                        content_type="image/png", file_size=1)


def test_a_stored_bomb_is_neither_downloaded_nor_rendered_into_a_generation(user):
    look = LookFactory(shooting=ShootingFactory(owner=user), width=200, height=250)
    shot = ShotFactory(shooting_look=look)
    bomb = stored_bomb(user)
    image = add_revision(shot, "APPROVED").images.first()
    image.image_media = bomb
    image.save()
    look.product.cover_image_media = bomb
    look.product.save()
    generation = Generation.objects.create(shot=shot)
    with PeakRss() as memory:
        download = client_for(user).get(f"/api/v1/shots/{shot.pk}/download")
        outcome = generation_run(generation_id=generation.pk)
    assert (download.status_code, download.json()) == (400, {"detail": "Image is too large to process"})
    assert outcome.state == "completed"  # the provider left the bomb out and rendered the rest
    assert memory.peak < 100 * 1024 * 1024, f"peak {memory.peak >> 20} MiB above the start"
