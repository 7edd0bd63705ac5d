"""Uploading files as media resources: images are decoded and measured, anything else refused."""
import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from sartiq.media.models import MediaResource
from sartiq.media.tests.factories import png_bytes

pytestmark = pytest.mark.django_db
URL = "/api/v1/media-resources/"


def upload(api, data: bytes, name="photo.png", content_type="image/png", **fields):
    return api.post(URL, {"file": SimpleUploadedFile(name, data, content_type=content_type), **fields}, format="multipart")


def test_an_uploaded_image_is_stored_and_described(api, user):
    response = upload(api, png_bytes((40, 20), (10, 200, 30)), alt_text="green")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["width"], body["height"], body["extension"]) == (40, 20, "png")
    assert body["orientation"] == "LANDSCAPE" and body["aspect_ratio"] == 2.0
    assert body["dominant_color"] == "#0ac81e"
    assert body["resource_type"] == "IMAGE" and body["alt_text"] == "green"
    media = MediaResource.objects.get(pk=body["id"])
    assert media.owner == user
    assert default_storage.exists(media.file.name)
    assert body["url"] == default_storage.url(media.file.name)


def test_the_format_comes_from_the_bytes_not_the_name(api):
    buffer = io.BytesIO()
    Image.new("RGB", (5, 5)).save(buffer, format="JPEG")
    body = upload(api, buffer.getvalue(), name="looks-like.png").json()
    assert body["extension"] == "jpg"


@pytest.mark.parametrize(
    "data, message",
    [(b"GIF89a not really", "File is not a valid image"), (b"%PDF-1.4 hello", "File is not a valid image"),
     (png_bytes()[:40], "File is not a valid image")],
    ids=["fake gif", "pdf", "truncated png"],
)
def test_non_images_are_422_and_store_nothing(api, data, message):
    response = upload(api, data)
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"type": "value_error", "loc": ["body", "file"], "msg": f"Value error, {message}", "input": None,
         "ctx": {"error": {}}}
    ]
    assert not MediaResource.objects.exists()


def test_decompression_bombs_are_refused(api, settings):
    from PIL import Image as PILImage

    settings.MEDIA_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
    limit = PILImage.MAX_IMAGE_PIXELS
    PILImage.MAX_IMAGE_PIXELS = 1000  # a 40x40 image is now 'too large'
    try:
        response = upload(api, png_bytes((40, 40)))
    finally:
        PILImage.MAX_IMAGE_PIXELS = limit
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "Value error, Image is too large"
    assert not MediaResource.objects.exists()


def test_files_over_the_size_cap_are_refused(api, settings):
    settings.MEDIA_MAX_UPLOAD_BYTES = 100
    response = upload(api, png_bytes((64, 64), (1, 2, 3)) + b"\0" * 200)
    assert response.status_code == 422
    assert "larger than 100 bytes" in response.json()["detail"][0]["msg"]


def test_upload_without_a_file_is_a_missing_field(api):
    response = api.post(URL, {"alt_text": "x"}, format="multipart")
    assert response.status_code == 422
    assert response.json()["detail"] == [{"type": "missing", "loc": ["body", "file"], "msg": "Field required", "input": None}]


def test_deleting_a_media_resource_removes_its_file_after_commit(api, django_capture_on_commit_callbacks):
    body = upload(api, png_bytes()).json()
    name = MediaResource.objects.get(pk=body["id"]).file.name
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"{URL}{body['id']}").status_code == 200
    assert not default_storage.exists(name)
